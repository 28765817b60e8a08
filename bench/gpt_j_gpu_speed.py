"""The hf engine on one GPU: batched vs batch-1 generation, new tokens per second.

A GPT-J-6B-shaped model (28 layers, width 4096, 16 heads, vocabulary 50401) with random bf16
weights, built directly on the GPU (no download), generating with the reference's settings (beam
search 4) on random prompts of CNN-DailyMail-like lengths. ``min_new_tokens = max_new_tokens``, so
every row makes the same number of tokens whatever the random weights say. Needs a CUDA GPU with
about 40 GiB; without one it prints that it is skipped and exits 0 (``make bench`` on a CPU box).
``--tiny`` runs the same steps on a tiny model on any device (a check of the script, no figure).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GPTJ_6B = dict(n_embd=4096, n_layer=28, n_head=16, rotary_dim=64, vocab_size=50401, n_positions=2048)
TINY = dict(n_embd=64, n_layer=2, n_head=4, rotary_dim=8, vocab_size=512, n_positions=512, bos_token_id=511,
            eos_token_id=511)


def build(shape: dict, device):
    import torch
    from transformers import GPTJConfig, GPTJForCausalLM

    config = GPTJConfig(**shape)
    torch.manual_seed(0)
    with torch.device(device):
        model = GPTJForCausalLM._from_config(config, dtype=torch.bfloat16)
    return model.eval()


def prompts(count: int, low: int, high: int, vocab: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.integers(0, vocab - 1, size=int(n)).astype(np.int64) for n in rng.integers(low, high, size=count)]


def tokens_per_second(engine, batch: list, batch_size: int, device) -> tuple[float, int]:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()
    began = time.perf_counter()
    outputs = engine.generate_sorted(batch, batch_size)
    if device.type == "cuda":
        torch.cuda.synchronize()
    made = sum(len(o) for o in outputs)
    return made / (time.perf_counter() - began), made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--prompts", type=int, default=16, help="prompts of the batched measurement")
    parser.add_argument("--single", type=int, default=4, help="prompts of the batch-1 measurement")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--tiny", action="store_true", help="a tiny model on any device: checks the script only")
    args = parser.parse_args()

    import torch

    if not args.tiny and not torch.cuda.is_available():
        print(f"gpt_j_gpu_speed: needs a CUDA GPU; skipped (torch {torch.__version__} sees none)")
        return 0
    from language.gptj.backend import generation_settings
    from language.llm.generation import Engine

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    shape = TINY if args.tiny else GPTJ_6B
    began = time.perf_counter()
    model = build(shape, device)
    print(f"model: {'tiny' if args.tiny else 'GPT-J-6B'}-shaped, bf16, random, on {device} "
          f"({sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters, built in "
          f"{time.perf_counter() - began:.1f} s)")
    settings = {**generation_settings(), "max_new_tokens": args.new_tokens, "min_new_tokens": args.new_tokens}
    engine = Engine(model, settings, pad_id=shape["vocab_size"] - 1)
    low, high = (20, 60) if args.tiny else (400, 1000)  # CNN-DailyMail prompts: ~900 tokens on average
    many = prompts(args.prompts, low, high, shape["vocab_size"])
    engine.generate(many[:1])  # warm-up: CUDA kernels, allocator
    single_rate, single_made = tokens_per_second(engine, many[:args.single], 1, device)
    batched_rate, batched_made = tokens_per_second(engine, many, args.batch_size, device)
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    rows = [("batch 1", args.single, single_made, f"{single_rate:.1f}"),
            (f"batch {args.batch_size}", args.prompts, batched_made, f"{batched_rate:.1f}")]
    print(f"hf engine, beam search 4, {args.new_tokens} new tokens per prompt, on {name}")
    print(f"{'':<10}{'prompts':>8}{'new tokens':>12}{'tokens/s':>10}")
    for label, count, made, rate in rows:
        print(f"{label:<10}{count:>8}{made:>12}{rate:>10}")
    if args.tiny:
        print("(--tiny: a check of the script; no figure)")
        return 0
    print(json.dumps({"bench": "gptj_hf_engine_batched_vs_batch1", "ours": round(batched_rate, 2),
                      "baseline": round(single_rate, 2), "ratio": round(batched_rate / single_rate, 3),
                      "unit": f"new tokens/s ({name}, bf16, batch {args.batch_size} vs 1)"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
