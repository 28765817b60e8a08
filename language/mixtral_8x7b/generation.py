"""Greedy generation with the reference's MBXP stop rule, batched with left padding.

The reference forces EOS on an MBXP row once its last four ids are [13, 13940, 28832, 13]
(the end of a code block): every score of that row becomes -inf except EOS, set to 0. Here the
rule is applied per row, so MBXP and other rows may share a batch. Outputs are cut after the
first EOS (language.llm.generation) and, like the reference's postProcess, a row shorter than two
tokens is padded with EOS: LoadGen's token latencies need at least two tokens per response.
"""

from __future__ import annotations

import numpy as np

from language.llm.generation import cut_after_eos, eos_ids, left_pad

MBXP_STOP_IDS = (13, 13940, 28832, 13)
EOS_ID = 2
SETTINGS = {"early_stopping": True, "max_new_tokens": 1024, "min_new_tokens": 1, "num_beams": 1,
            "do_sample": False}
MIN_TOKENS = 2


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


def pad_short(tokens: np.ndarray, eos_id: int = EOS_ID) -> np.ndarray:
    if len(tokens) >= MIN_TOKENS:
        return tokens
    return np.concatenate([tokens, np.full(MIN_TOKENS - len(tokens), eos_id, dtype=tokens.dtype)])


class MixtralEngine:
    """``generate(prompts, mbxp_rows) -> new tokens per prompt`` (int64)."""

    def __init__(self, model, pad_id: int = EOS_ID, settings: dict | None = None):
        self.model, self.pad_id = model, pad_id
        self.settings = dict(SETTINGS if settings is None else settings)
        self.eos = eos_ids(model)

    def generate(self, prompts: list[np.ndarray], mbxp_rows: list[bool]) -> list[np.ndarray]:
        import torch
        from transformers import LogitsProcessorList

        ids, mask = left_pad(prompts, self.pad_id)
        device = self.model.get_input_embeddings().weight.device
        extra = {"logits_processor": LogitsProcessorList([stop_processor(mbxp_rows)])} if any(mbxp_rows) else {}
        with torch.inference_mode():
            out = self.model.generate(input_ids=torch.from_numpy(ids).to(device),
                                      attention_mask=torch.from_numpy(mask).to(device),
                                      pad_token_id=self.pad_id, **self.settings, **extra)
        new = out[:, ids.shape[1]:].to("cpu").numpy().astype(np.int64, copy=False)
        return [pad_short(cut_after_eos(row, self.eos)) for row in new]
