"""The SUT the plain-``generate`` LLMs share: one engine, length-sorted Offline batches, resume-aware."""

from __future__ import annotations

from .batching import LengthSortedBatches
from .generation import Engine, load_model


class GenerationBackend:
    """``settings`` are the reference's ``generate`` keywords (also part of the resume store's key)."""

    def __init__(self, dataset, artifacts, config, settings: dict, pad_id: int):
        self.dataset, self.batch_size = dataset, max(1, config.batch_size)
        self.cache_settings = dict(settings)
        model = load_model(artifacts["model"].path, config.data_type, config.device)
        self.engine = Engine(model, self.cache_settings, pad_id=pad_id)
        self.sorted_batches, self.stored = None, set()
        if config.scenario == "Offline":
            # every loaded sample will be asked for: generate ahead, except what a resumed run stored
            self.sorted_batches = LengthSortedBatches(
                self.engine.generate, dataset.prompt_ids,
                lambda: [i for i in dataset.prompts if i not in self.stored], self.batch_size)

    def skip_stored(self, indices) -> None:
        """Called by the core's resume store: these samples will never be asked for."""
        self.stored = set(indices)

    def predict(self, indices):
        if self.sorted_batches is not None:
            return self.sorted_batches.outputs(list(indices))
        return self.engine.generate_sorted([self.dataset.prompt_ids(i) for i in indices], self.batch_size)
