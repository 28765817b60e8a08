"""The QSL side of BERT: SQuAD v1.1 questions turned into 384-piece features, one sample each.

N_COUNT counts features, as the reference's --max_examples does: sample i is feature i, and a
run over the first N_COUNT features may end inside a question (the metric then leaves that
question out). The features are built once and cached beside the dataset (see feature_cache).
"""

from __future__ import annotations

import numpy as np

from harness.errors import UsageError

from . import feature_cache, squad
from .tokenization import wordpiece_tokenizer


class SquadDataset:
    def __init__(self, artifacts, config):
        self.dataset_path = artifacts["dataset"].path
        self.vocab_path = artifacts["vocab"].path
        self.count = config.n_count
        self.examples: list[squad.Example] = []
        self.features: list = []  # every feature of the file; the run uses the first ``count``
        self._arrays: dict[str, np.ndarray] = {}
        self._loaded: set[int] = set()

    def prepare(self) -> None:
        from .features import input_arrays

        version, self.examples = squad.read_examples(self.dataset_path)
        if version != squad.EXPECTED_VERSION:
            print(f"   warning: {self.dataset_path} has version {version!r}, expected {squad.EXPECTED_VERSION!r}")
        tokenizer = wordpiece_tokenizer(self.vocab_path)
        self.features = feature_cache.load_or_build(self.examples, self.dataset_path, self.vocab_path, tokenizer)
        if self.count > len(self.features):
            raise UsageError(f"N_COUNT={self.count} but {self.dataset_path} yields only {len(self.features)} "
                             f"features ({len(self.examples)} questions); use N_COUNT <= {len(self.features)}")
        self._arrays = input_arrays(self.features[:self.count], tokenizer.convert_tokens_to_ids)
        print(f"   {self.count} of {len(self.features)} features, from {len(self.examples)} questions")

    def load(self, indices) -> None:
        self._loaded.update(indices)

    def unload(self, indices) -> None:
        self._loaded.difference_update(indices)

    def batch(self, indices) -> dict[str, np.ndarray]:
        """``input_ids``, ``input_mask``, ``segment_ids`` of loaded samples, int64 (n, 384)."""
        missing = [i for i in indices if i not in self._loaded]
        if missing:
            raise RuntimeError(f"samples {missing[:5]} were issued before LoadGen loaded them")
        rows = np.asarray(indices)
        return {name: array[rows].astype(np.int64) for name, array in self._arrays.items()}
