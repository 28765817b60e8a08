"""The reference Mixtral SUT: greedy, 1 to 1024 new tokens, MBXP stop rule, int64 new tokens.

The reference forces EOS on an MBXP row once its last four ids are [13, 13940, 28832, 13] (the
end of a code block): every score of that row becomes -inf except EOS, set to 0. Here the rule is
a logits processor of the shared engine (language.llm.generation), applied per row, so MBXP and
other rows may share a batch. Outputs are cut after the first EOS and, like the reference's
postProcess, a row shorter than two tokens is padded with EOS (LoadGen's token latencies).

The reference runs batch 1 with prompts left-padded to 1024; here a batch's prompts are padded to
its longest (the attention mask hides padding either way), length-sorted as language.llm.backend
says.
"""

from __future__ import annotations

from language.llm.backend import GenerationBackend

MBXP_STOP_IDS = (13, 13940, 28832, 13)
EOS_ID = 2
SETTINGS = {"early_stopping": True, "max_new_tokens": 1024, "min_new_tokens": 1, "num_beams": 1,
            "do_sample": False}


def stop_processor(rows: list[bool], eos_id: int = EOS_ID, stop_ids=MBXP_STOP_IDS):
    """A transformers LogitsProcessor forcing EOS next on flagged rows that end with ``stop_ids``."""
    import torch
    from transformers import LogitsProcessor

    flags = torch.tensor(rows, dtype=torch.bool)
    tail = torch.tensor(stop_ids, dtype=torch.long)

    class StopAfterCodeBlock(LogitsProcessor):
        def __call__(self, input_ids, scores):
            if input_ids.shape[1] < len(stop_ids):
                return scores
            hit = (input_ids[:, -len(stop_ids):] == tail.to(input_ids.device)).all(dim=1)
            hit &= flags.to(input_ids.device)
            if hit.any():
                scores = scores.clone()
                scores[hit] = -float("inf")
                scores[hit, eos_id] = 0.0
            return scores

    return StopAfterCodeBlock()


def mbxp_stop(rows: list[bool]) -> list:
    """The engine's logits-processor hook: the stop rule for a batch with MBXP rows, else nothing."""
    return [stop_processor(rows)] if any(rows) else []


class ReferenceBackend(GenerationBackend):
    def __init__(self, dataset, run):
        super().__init__(dataset, run, SETTINGS, pad_id=EOS_ID, logits_processors=mbxp_stop, stop_tail=MBXP_STOP_IDS)

    def row_flags(self, indices) -> list[bool]:
        return [self.dataset.is_mbxp(i) for i in indices]

    def cache_settings(self) -> dict:
        return dict(super().cache_settings(), mbxp_stop=",".join(map(str, MBXP_STOP_IDS)))
