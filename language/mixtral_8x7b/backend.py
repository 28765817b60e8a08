"""The reference Mixtral SUT: greedy, 1 to 1024 new tokens, MBXP stop rule, int64 new tokens.

The reference runs batch 1 with prompts left-padded to 1024; here a batch's prompts are padded to
its longest (the attention mask hides padding either way). In Offline, all loaded prompts are
sorted by length and cut into batches (language.llm.batching); other scenarios generate what was
asked, longest first.
"""

from __future__ import annotations

from language.llm.batching import LengthSortedBatches
from language.llm.generation import load_model

from .generation import SETTINGS, MixtralEngine


class _Row:
    """A prompt that remembers its sample index: the stop rule depends on the row's dataset."""

    def __init__(self, index: int, length: int):
        self.index, self.length = index, length

    def __len__(self) -> int:
        return self.length

    @staticmethod
    def of(dataset):
        return lambda i: _Row(i, len(dataset.prompt_ids(i)))


class ReferenceBackend:
    def __init__(self, dataset, artifacts, config):
        self.dataset, self.batch_size = dataset, max(1, config.batch_size)
        self.cache_settings = dict(SETTINGS, mbxp_stop="13,13940,28832,13")  # part of the resume store's key
        model = load_model(artifacts["model"].path, config.data_type, config.device)
        self.engine = MixtralEngine(model, pad_id=dataset.tokenizer.eos_token_id)
        self.sorted_batches, self.stored = None, set()
        if config.scenario == "Offline":
            self.sorted_batches = LengthSortedBatches(
                lambda rows: self._generate_indices([row.index for row in rows]), _Row.of(dataset),
                lambda: [i for i in dataset.prompts if i not in self.stored], self.batch_size)

    def _generate_indices(self, indices: list[int]):
        prompts = [self.dataset.prompt_ids(i) for i in indices]
        return self.engine.generate(prompts, [self.dataset.is_mbxp(i) for i in indices])

    def skip_stored(self, indices) -> None:
        """Called by the core's resume store: these samples will never be asked for."""
        self.stored = set(indices)

    def predict(self, indices):
        if self.sorted_batches is not None:
            return self.sorted_batches.outputs(list(indices))
        order = sorted(indices, key=lambda i: len(self.dataset.prompt_ids(i)), reverse=True)
        results = {}
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            results.update(zip(chunk, self._generate_indices(chunk)))
        return [results[i] for i in indices]
