"""The reference Llama-2-70B SUT: greedy, 1 to 1024 new tokens, new tokens returned as int64.

Settings as the reference's ``model.generate`` call: ``early_stopping=True``, ``max_new_tokens=1024``,
``min_new_tokens=1``, ``num_beams=1``, ``do_sample=False`` (greedy, overriding the checkpoint's
sampling generation_config), pad = EOS 2. Each output is cut after its first EOS (the reference
pads finished rows with 2s; the evaluator trims them anyway).

LoadGen (use_token_latencies) rejects a response with fewer than 2 tokens. Only an output that is
a lone EOS can be that short; it is sent as ``[2, 2]`` (language.llm.generation.pad_short): the
evaluator cuts at the first EOS, so the text and the token count are the same, and the reference's
own Offline batches pad with 2s alike.
"""

from __future__ import annotations

from language.llm.backend import GenerationBackend

EOS = 2
GENERATION = {"early_stopping": True, "max_new_tokens": 1024, "min_new_tokens": 1, "num_beams": 1,
              "do_sample": False}


def generation_settings() -> dict:
    return dict(GENERATION)


class ReferenceBackend(GenerationBackend):
    def __init__(self, dataset, run):
        super().__init__(dataset, run, generation_settings(), pad_id=EOS)
