"""ENGINE=vllm: the LLM benchmarks' generation on vLLM, behind the same interface as the transformers
engine (language.llm.generation.Engine): ``generate(prompts, flags, first_token) -> new tokens``.

vLLM runs in this process (VLLM_ENABLE_V1_MULTIPROCESSING=0: no engine-core subprocess, whose
spawn would re-import the harness's main module) without a tokenizer: prompts go in as token ids,
outputs come back as token ids, as the transformers engine does. Every prompt of a call is added
to the engine at once and continuous batching schedules them; the engine is stepped here, so a
request's first token is seen (and reported) at the step that produced it. In Server runs queries
arrive one by one (``submit``): a serving thread adds each to the running engine between two steps
and completes each request as it ends, so a query never waits for an earlier batch to drain.

Greedy exactly as the reference: temperature 0, ``max_new_tokens`` and ``min_new_tokens`` of the
benchmark's settings, stopped at EOS; outputs are cut after the first EOS like the other engine.
A per-row stop sequence (Mixtral's MBXP rule: once a flagged row ends with ``stop_tail``, its next
token is EOS) is applied to the finished output by ``stop_after_tail``: greedy rows are
deterministic up to the point the rule fires, so the cut gives the same tokens as the logits
processor (tests/test_vllm.py proves it against the real processor). The price: such a row runs on
to EOS or max_new_tokens inside vLLM (vLLM 0.32's V1 engine has no per-request logits processors).

Beam search is not offered: vLLM's beam search has no minimum length and scores beams its own way,
so GPT-J (beam search 4, at least 30 new tokens) refuses ENGINE=vllm (language.llm.engine_choice).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError

import numpy as np

from .generation import cut_after_eos

CANCEL = "cancel"  # the serving thread's order to end every request in flight


def stop_after_tail(prompt: np.ndarray, tokens: np.ndarray, tail: Sequence[int], eos: int,
                    max_new_tokens: int) -> np.ndarray:
    """``tokens`` as they would be had EOS been forced right after the first point where prompt +
    tokens-so-far end with ``tail`` (and that point leaves room for one more token)."""
    n = len(tail)
    whole = np.concatenate([np.asarray(prompt, np.int64), np.asarray(tokens, np.int64)])
    want = np.asarray(tail, np.int64)
    for step in range(min(len(tokens), max_new_tokens - 1) + 1):  # step: tokens generated so far
        end = len(prompt) + step
        if end >= n and np.array_equal(whole[end - n:end], want):
            if step < len(tokens) and tokens[step] == eos:
                break  # the model chose EOS there anyway
            return np.concatenate([np.asarray(tokens[:step], np.int64), np.array([eos], np.int64)])
        if step < len(tokens) and tokens[step] == eos:
            break
    return np.asarray(tokens, np.int64)


class VllmEngine:
    """One ``vllm.LLMEngine`` for the run; ``settings`` are the benchmark's generate keywords."""

    def __init__(self, model_path, data_type: str, settings: dict, pad_id: int, eos: set[int],
                 stop_tail: Sequence[int] | None = None):
        if settings.get("num_beams", 1) != 1 or settings.get("do_sample"):
            raise ValueError("ENGINE=vllm generates greedily only (num_beams=1, no sampling)")
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        from vllm import EngineArgs, LLMEngine, SamplingParams

        from harness.torch_device import torch_dtype, visible_gpu_count

        self.settings, self.pad_id, self.eos, self.stop_tail = dict(settings), pad_id, set(eos), stop_tail
        self.max_new = int(settings["max_new_tokens"])
        import torch

        if torch.cuda.is_available():  # tensor parallel over the GPUs this process sees (GPUS's group)
            where = {"tensor_parallel_size": visible_gpu_count()}
        else:  # vLLM on CPU reserves 92 % of memory unless given the KV cache's size: VLLM_CPU_KVCACHE_SPACE
            # GiB (vLLM's own name; 1 here); eager, as its graph capture only pays off on long runs
            where = {"kv_cache_memory_bytes": int(float(os.environ.get("VLLM_CPU_KVCACHE_SPACE") or 1) * 2**30),
                     "enforce_eager": True}
        args = EngineArgs(model=str(model_path), skip_tokenizer_init=True, dtype=torch_dtype(data_type), seed=0,
                          **where)
        self.engine = LLMEngine.from_engine_args(args)
        self.params = SamplingParams(temperature=0.0, max_tokens=self.max_new,
                                     min_tokens=int(settings.get("min_new_tokens", 0) or 0),
                                     stop_token_ids=sorted(self.eos), detokenize=False)
        self.next_id = 0
        self.inbox: queue.Queue = queue.Queue()  # Server queries for the serving thread
        self.serving: threading.Thread | None = None

    def generate(self, prompts: list[np.ndarray], flags: list | None = None,
                 first_token: Callable[[int, np.ndarray], None] | None = None) -> list[np.ndarray]:
        """New tokens per prompt; ``first_token(row, tokens)`` is called once per row as soon as
        the row has its first new token."""
        rows = {}
        for row, prompt in enumerate(prompts):
            request = str(self.next_id)
            self.next_id += 1
            rows[request] = row
            self.engine.add_request(request, {"prompt_token_ids": [int(t) for t in prompt]}, self.params)
        results: list[np.ndarray | None] = [None] * len(prompts)
        started: set[int] = set()
        while self.engine.has_unfinished_requests():
            for out in self.engine.step():
                row = rows.get(out.request_id)
                if row is None:
                    continue
                tokens = np.asarray(out.outputs[0].token_ids, dtype=np.int64)
                if first_token is not None and row not in started and len(tokens):
                    started.add(row)
                    first_token(row, tokens[:1])
                if out.finished:
                    results[row] = self._finish(prompts[row], tokens, flags[row] if flags else False)
        return results

    def submit(self, prompts: list[np.ndarray], flags: list | None, first_token: Callable[[int, np.ndarray], None],
               done: Callable[[int, object], None]) -> None:
        """Server: queue these prompts and return; the serving thread adds them to the running engine
        between two steps (continuous batching) and calls ``first_token(row, tokens)`` and
        ``done(row, tokens or the exception)`` per row as each happens."""
        if self.serving is None:
            self.serving = threading.Thread(target=self._serve, name="vllm-serving", daemon=True)
            self.serving.start()
        self.inbox.put((prompts, flags, first_token, done))

    def _serve(self) -> None:
        """The one thread that touches the engine once serving has begun."""
        live: dict[str, tuple] = {}  # request id -> (prompt, flag, row, first_token, done)
        while True:
            waiting = [self.inbox.get()] if not live else []  # idle: sleep until a query comes
            while True:
                try:
                    waiting.append(self.inbox.get_nowait())
                except queue.Empty:
                    break
            for item in waiting:
                if item is None:
                    return
                if item == CANCEL:  # Ctrl-C: every request in flight ends now
                    self._end_all(live, CancelledError("the run was interrupted"))
                    continue
                prompts, flags, first_token, done = item
                for row, prompt in enumerate(prompts):
                    request = str(self.next_id)
                    self.next_id += 1
                    live[request] = (prompt, flags[row] if flags else False, row, first_token, done, [False])
                    self.engine.add_request(request, {"prompt_token_ids": [int(t) for t in prompt]}, self.params)
            try:
                outputs = self.engine.step()
            except Exception as exc:  # noqa: BLE001 - every live request ends with it; LoadGen gets its answers
                self._end_all(live, exc)
                continue
            for out in outputs:
                if out.request_id not in live:
                    continue
                prompt, flagged, row, first_token, done, started = live[out.request_id]
                tokens = np.asarray(out.outputs[0].token_ids, dtype=np.int64)
                if not started[0] and len(tokens):
                    started[0] = True
                    first_token(row, tokens[:1])
                if out.finished:
                    del live[out.request_id]
                    done(row, self._finish(prompt, tokens, flagged))

    def _end_all(self, live: dict, why: Exception) -> None:
        for request, (_, _, row, _, done, _) in list(live.items()):
            with contextlib.suppress(Exception):  # the engine may be past answering
                self.engine.abort_request([request])
            done(row, why)
        live.clear()

    def cancel(self) -> None:
        if self.serving is not None:
            self.inbox.put(CANCEL)

    def close(self) -> None:
        if self.serving is not None:
            self.inbox.put(None)
            self.serving.join()
            self.serving = None

    def _finish(self, prompt: np.ndarray, tokens: np.ndarray, flagged) -> np.ndarray:
        tokens = cut_after_eos(tokens, self.eos)
        if flagged and self.stop_tail:
            tokens = stop_after_tail(prompt, tokens, self.stop_tail, self.pad_id, self.max_new)
        return tokens

    def generate_sorted(self, prompts: list[np.ndarray], batch_size: int, flags: list | None = None,
                        first_token: Callable[[int, np.ndarray], None] | None = None) -> list[np.ndarray]:
        """All prompts at once (vLLM batches continuously; ``batch_size`` does not apply)."""
        return self.generate(prompts, flags, first_token)
