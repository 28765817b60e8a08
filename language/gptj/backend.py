"""The reference GPT-J SUT: beam search 4, 30 to 128 new tokens, new tokens returned as int64.

Settings as the reference's ``model.generate`` call: ``early_stopping=True``, ``min_new_tokens=30``,
``max_new_tokens=128``, ``num_beams=4`` (what the closed division needs),
pad = EOS 50256, greedy beams (no sampling). The reference generates one sample at a time; here
the samples of one batch are generated together, left-padded. In Offline, batches are cut from
all loaded prompts sorted by length (see language.llm.batching); other scenarios generate what
was asked, longest first.
"""

from __future__ import annotations

from language.llm.backend import GenerationBackend

GENERATION = {"early_stopping": True, "max_new_tokens": 128, "min_new_tokens": 30, "num_beams": 4,
              "do_sample": False}


def generation_settings() -> dict:
    """The reference's settings; beam search 4 is what the closed division requires."""
    return dict(GENERATION)


class ReferenceBackend(GenerationBackend):
    def __init__(self, dataset, run):
        super().__init__(dataset, run, generation_settings(), pad_id=dataset.tokenizer.eos_token_id)
