"""A batched generation engine on transformers, shared by the LLM benchmarks.

Prompts of one batch are left-padded (decoder-only models continue from the last position, so
padding must sit on the left) and generated together. A row's output is its new tokens only,
cut after the first end-of-sequence token: a batch pads finished rows with the pad token, and a
batch of one stops at that first EOS, so the cut keeps batched output byte-equal in form to the
reference's batch-1 output.
"""

from __future__ import annotations

import numpy as np

TORCH_DTYPES = {"float32": "float32", "float16": "float16", "bfloat16": "bfloat16"}


def placement(device: str, gpu_count: int) -> dict:
    """``from_pretrained`` keywords for DEVICE: several visible GPUs with DEVICE=cuda spread the
    layers over all of them (device_map="auto"); otherwise the whole model goes to one device."""
    if device == "cuda" and gpu_count > 1:
        return {"device_map": "auto"}
    return {}


def load_model(model_path, data_type: str, device: str):
    import torch
    from transformers import AutoModelForCausalLM

    from harness.torch_device import resolve_device

    if data_type not in TORCH_DTYPES:
        raise ValueError(f"DATA_TYPE {data_type!r}: expected one of {sorted(TORCH_DTYPES)}")
    target = resolve_device(device)  # auto -> cuda:0 or cpu; a missing GPU is a clear error
    gpus = torch.cuda.device_count() if target.type == "cuda" else 0
    where = placement("cuda" if device in ("cuda", "auto") and target.type == "cuda" else str(target), gpus)
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=getattr(torch, TORCH_DTYPES[data_type]),
                                                 low_cpu_mem_usage=True, **where)
    if not where:
        model = model.to(target)
    return model.eval()


def eos_ids(model) -> set[int]:
    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = model.config.eos_token_id
    return set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}


def left_pad(prompts: list[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, attention_mask)``, int64, padded on the left to the longest prompt."""
    width = max(len(p) for p in prompts)
    ids = np.full((len(prompts), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(prompts), width), dtype=np.int64)
    for row, prompt in enumerate(prompts):
        if len(prompt):
            ids[row, width - len(prompt):] = prompt
            mask[row, width - len(prompt):] = 1
    return ids, mask


def cut_after_eos(tokens: np.ndarray, eos: set[int]) -> np.ndarray:
    hits = np.flatnonzero(np.isin(tokens, list(eos))) if eos else []
    return tokens[: hits[0] + 1] if len(hits) else tokens


class Engine:
    """``generate(prompts) -> new tokens per prompt`` (int64), one ``model.generate`` per batch."""

    def __init__(self, model, settings: dict, pad_id: int):
        self.model, self.settings, self.pad_id = model, dict(settings), pad_id
        self.eos = eos_ids(model)

    @property
    def input_device(self):
        return self.model.get_input_embeddings().weight.device

    def generate(self, prompts: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        ids, mask = left_pad(prompts, self.pad_id)
        device = self.input_device
        with torch.inference_mode():
            out = self.model.generate(input_ids=torch.from_numpy(ids).to(device),
                                      attention_mask=torch.from_numpy(mask).to(device),
                                      pad_token_id=self.pad_id, **self.settings)
        new = out[:, ids.shape[1]:].to("cpu").numpy().astype(np.int64, copy=False)
        return [cut_after_eos(row, self.eos) for row in new]

    def generate_sorted(self, prompts: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
        """Generate in batches of similar length (less padding), results in the caller's order."""
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[np.ndarray | None] = [None] * len(prompts)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            for i, tokens in zip(chunk, self.generate([prompts[i] for i in chunk])):
                results[i] = tokens
        return results
