"""The QSL side of BERT: SQuAD v1.1 questions turned into 384-piece features, one sample each.

Sample i is feature i, so N_COUNT counts features, as the reference's --max_examples does, and a
run over the first N features may end inside a question (the metric then leaves that question
out). The features are built once and cached beside the dataset (see feature_cache); the token
ids of the run's features are made in ``prepare``.
"""

from __future__ import annotations

import numpy as np

from harness.contract import Dataset

from . import feature_cache, squad
from .tokenization import wordpiece_tokenizer


class SquadDataset(Dataset):
    def __init__(self, run):
        super().__init__(run)
        dataset_path = run.artifact_path("dataset")
        version, self.examples = squad.read_examples(dataset_path)
        if version != squad.EXPECTED_VERSION:
            print(f"   warning: {dataset_path} has version {version!r}, expected {squad.EXPECTED_VERSION!r}")
        self.features = feature_cache.load_or_build(self.examples, dataset_path, run.artifact_path("vocab"))
        self._arrays: dict[str, np.ndarray] = {}  # rows: the run's indices, in order
        self._loaded: set[int] = set()

    @property
    def size(self) -> int:
        return len(self.features)

    def prepare(self) -> None:
        from .features import input_arrays

        to_ids = wordpiece_tokenizer(self.run.artifact_path("vocab")).convert_tokens_to_ids
        self._arrays = input_arrays([self.features[i] for i in self.run.indices], to_ids)
        print(f"   {len(self.run.indices)} of {self.size} features, from {len(self.examples)} questions")

    def load(self, indices) -> None:
        self._loaded.update(indices)

    def unload(self, indices) -> None:
        self._loaded.difference_update(indices)

    def batch(self, indices) -> dict[str, np.ndarray]:
        """``input_ids``, ``input_mask``, ``segment_ids`` of loaded samples, int64 (n, 384)."""
        missing = [i for i in indices if i not in self._loaded]
        if missing:
            raise RuntimeError(f"samples {missing[:5]} were issued before LoadGen loaded them")
        rows = np.asarray([self.run.indices.index(i) for i in indices])
        return {name: array[rows].astype(np.int64) for name, array in self._arrays.items()}
