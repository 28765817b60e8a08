"""The reference GPT-J SUT: beam search 4, 30 to 128 new tokens, new tokens returned as int64.

Settings as the reference's ``model.generate`` call: ``early_stopping=True``, ``min_new_tokens=30``,
``max_new_tokens=128``, ``num_beams=4`` (what the closed division needs),
pad = EOS 50256, greedy beams (no sampling). The reference generates one sample at a time; here
the samples of one batch are generated together, left-padded. In Offline, batches are cut from
all loaded prompts sorted by length (see language.llm.batching); other scenarios generate what
was asked, longest first.
"""

from __future__ import annotations

from language.llm.batching import LengthSortedBatches
from language.llm.generation import Engine, load_model


GENERATION = {"early_stopping": True, "max_new_tokens": 128, "min_new_tokens": 30, "num_beams": 4,
              "do_sample": False}


def generation_settings() -> dict:
    """The reference's settings; beam search 4 is what the closed division requires."""
    return dict(GENERATION)


class ReferenceBackend:
    def __init__(self, dataset, artifacts, config):
        self.dataset, self.batch_size = dataset, max(1, config.batch_size)
        self.cache_settings = generation_settings()  # part of the resume store's key
        model = load_model(artifacts["model"].path, config.data_type, config.device)
        self.engine = Engine(model, self.cache_settings, pad_id=dataset.tokenizer.eos_token_id)
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
        prompts = [self.dataset.prompt_ids(i) for i in indices]
        return self.engine.generate_sorted(prompts, self.batch_size)
