"""The reference Llama-2-70B SUT: greedy, 1 to 1024 new tokens, new tokens returned as int64.

Settings as the reference's ``model.generate`` call: ``early_stopping=True``, ``max_new_tokens=1024``,
``min_new_tokens=1``, ``num_beams=1``, ``do_sample=False`` (greedy, overriding the checkpoint's
sampling generation_config), pad = EOS 2. Each output is cut after its first EOS (the reference
pads finished rows with 2s; the evaluator trims them anyway).

LoadGen (use_token_latencies) rejects a response with fewer than 2 tokens. Only an output that is
a lone EOS can be that short; it is sent as ``[2, 2]``: the evaluator cuts at the first EOS, so the
text and the token count are the same, and the reference's own Offline batches pad with 2s alike.
"""

from __future__ import annotations

import numpy as np

from language.llm.batching import LengthSortedBatches
from language.llm.generation import Engine, load_model

EOS = 2
MIN_RESPONSE_TOKENS = 2
GENERATION = {"early_stopping": True, "max_new_tokens": 1024, "min_new_tokens": 1, "num_beams": 1,
              "do_sample": False}


def generation_settings() -> dict:
    return dict(GENERATION)


def pad_short(tokens: np.ndarray, eos: int = EOS) -> np.ndarray:
    """``tokens`` extended with EOS to the 2 tokens LoadGen needs per response."""
    if len(tokens) >= MIN_RESPONSE_TOKENS:
        return tokens
    return np.concatenate([tokens, np.full(MIN_RESPONSE_TOKENS - len(tokens), eos, dtype=np.int64)])


class ReferenceBackend:
    def __init__(self, dataset, artifacts, config):
        self.dataset, self.batch_size = dataset, max(1, config.batch_size)
        self.cache_settings = generation_settings()  # part of the resume store's key
        model = load_model(artifacts["model"].path, config.data_type, config.device)
        self.engine = Engine(model, self.cache_settings, pad_id=EOS)
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
            outputs = self.sorted_batches.outputs(list(indices))
        else:
            outputs = self.engine.generate_sorted([self.dataset.prompt_ids(i) for i in indices], self.batch_size)
        return [pad_short(o) for o in outputs]
