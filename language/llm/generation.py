"""A batched generation engine on transformers, shared by the LLM benchmarks.

Prompts of one batch are left-padded (decoder-only models continue from the last position, so
padding must sit on the left) and generated together. A row's output is its new tokens only,
cut after the first end-of-sequence token: a batch pads finished rows with the pad token, and a
batch of one stops at that first EOS, so the cut keeps batched output byte-equal in form to the
reference's batch-1 output.

A benchmark whose generation depends on the row (Mixtral's MBXP stop rule) gives the engine a
``logits_processors`` hook: it receives one flag per row of the batch and returns the
transformers logits processors for that batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness import progress
from harness.torch_device import resolve_device, torch_dtype

MIN_RESPONSE_TOKENS = 2  # LoadGen's token latencies reject a shorter response


def placement(device: str, gpu_count: int) -> dict:
    """``from_pretrained`` keywords for DEVICE: several visible GPUs with DEVICE=cuda (or auto)
    spread the layers over all of them (device_map="auto"); otherwise the model goes to one device."""
    if device in ("cuda", "auto") and gpu_count > 1:
        return {"device_map": "auto"}
    return {}


def load_model(model_path, data_type: str, device: str):
    """The causal LM in ``model_path`` in DATA_TYPE's torch dtype, on DEVICE (see ``placement``)."""
    import torch
    from transformers import AutoModelForCausalLM

    target = resolve_device(device)  # auto -> cuda:0 or cpu; a missing GPU is a clear error
    where = placement(device, torch.cuda.device_count() if target.type == "cuda" else 0)
    if target.type == "cuda":  # a split is printed, an offload to the CPU refused, before loading
        from .gpu_memory import check_gpus

        check_gpus(model_path, data_type, list(range(torch.cuda.device_count())) if where else [target.index or 0])
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch_dtype(data_type),
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


def pad_short(tokens: np.ndarray, eos: int) -> np.ndarray:
    """``tokens`` extended with EOS to the 2 tokens LoadGen needs per response. Only a lone EOS is
    that short; the scorers cut at the first EOS, so the text and the token count stay the same."""
    if len(tokens) >= MIN_RESPONSE_TOKENS:
        return tokens
    return np.concatenate([tokens, np.full(MIN_RESPONSE_TOKENS - len(tokens), eos, dtype=np.int64)])


def step_counter(shown: progress.Progress):
    """A stopping criterion that stops no row: it counts the decoding steps of ``generate`` (greedy
    and beam search alike) for the batch's progress line."""
    from transformers import StoppingCriteria

    class CountSteps(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            shown.update()
            return False  # or-ed into the list's "done" tensor: changes nothing

        def __deepcopy__(self, memo):  # a copy would count into nothing
            return self

    return CountSteps()


def first_token_reporter(width: int, first_token: Callable[[int, np.ndarray], None]):
    """A stopping criterion that stops no row: after the first greedy step it hands each row's first
    new token to ``first_token(row, tokens)`` (Server's time to first token)."""
    from transformers import StoppingCriteria

    class ReportFirstToken(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            if input_ids.shape[1] == width + 1:
                for row, token in enumerate(input_ids[:, width].tolist()):
                    first_token(row, np.array([token], dtype=np.int64))
            return False

        def __deepcopy__(self, memo):
            return self

    return ReportFirstToken()


class Engine:
    """``generate(prompts, flags) -> new tokens per prompt`` (int64), one ``model.generate`` per batch.

    ``logits_processors(flags) -> list`` is the hook for per-row generation rules; ``flags`` holds
    one value per prompt (None when the benchmark has no such rule)."""

    def __init__(self, model, settings: dict, pad_id: int,
                 logits_processors: Callable[[list], list] | None = None):
        self.model, self.settings, self.pad_id = model, dict(settings), pad_id
        self.logits_processors = logits_processors
        self.eos = eos_ids(model)

    @property
    def input_device(self):
        return self.model.get_input_embeddings().weight.device

    def generate(self, prompts: list[np.ndarray], flags: list | None = None,
                 first_token: Callable[[int, np.ndarray], None] | None = None) -> list[np.ndarray]:
        """``first_token(row, tokens)``, when given, is called once per row at the first step of a
        greedy generation (a beam's first token is only known at the end: reported at completion)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        ids, mask = left_pad(prompts, self.pad_id)
        device = self.input_device
        extra = {}
        if self.logits_processors is not None and flags is not None:
            processors = self.logits_processors(flags)
            if processors:
                extra["logits_processor"] = LogitsProcessorList(processors)
        greedy = self.settings.get("num_beams", 1) == 1
        reporter = [first_token_reporter(ids.shape[1], first_token)] if first_token and greedy else []
        steps = progress.bar(f"generation, batch of {len(prompts)}", self.settings.get("max_new_tokens"),
                             " steps", transient=True)
        with steps, torch.inference_mode():
            out = self.model.generate(input_ids=torch.from_numpy(ids).to(device),
                                      attention_mask=torch.from_numpy(mask).to(device),
                                      pad_token_id=self.pad_id, stopping_criteria=StoppingCriteriaList(
                                          [step_counter(steps), *reporter]), **self.settings, **extra)
        new = out[:, ids.shape[1]:].to("cpu").numpy().astype(np.int64, copy=False)
        return [cut_after_eos(row, self.eos) for row in new]

    def generate_sorted(self, prompts: list[np.ndarray], batch_size: int, flags: list | None = None,
                        first_token: Callable[[int, np.ndarray], None] | None = None) -> list[np.ndarray]:
        """Generate in batches of similar length (less padding), results in the caller's order."""
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[np.ndarray | None] = [None] * len(prompts)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            rows = None if flags is None else [flags[i] for i in chunk]
            report = None if first_token is None else (lambda row, t, chunk=chunk: first_token(chunk[row], t))
            for i, tokens in zip(chunk, self.generate([prompts[i] for i in chunk], rows, report)):
                results[i] = tokens
        return results
