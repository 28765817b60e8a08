"""GPT-J generation throughput on the CPU: the harness's batched engine (left padding, batches of
similar length) vs the reference's one-sample-at-a-time ``generate``, with the reference's settings
(beam 4, 30..128 new tokens) on a tiny random GPT-J built from the demo fixture. The generated
tokens are checked identical. Unit: new tokens per second. Ratio > 1: ours is faster.

    python bench/gptj_generation.py [--count 16] [--batch-size 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM

    from language.gptj import backend, dataset, demo
    from language.llm.generation import Engine
    from language.llm.tokenizers import load_tokenizer

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo.build(folder, count=args.count, seed=2)
        tokenizer = load_tokenizer(folder / "model")
        prompts = [dataset.encode(tokenizer, dataset.prompt_of(r))
                   for r in dataset.read_records(folder / "cnn_eval.json")]
        model = AutoModelForCausalLM.from_pretrained(str(folder / "model")).eval()
    settings = backend.generation_settings()
    engine = Engine(model, settings, tokenizer.eos_token_id)

    def one_at_a_time():
        out = []
        with torch.inference_mode():
            for ids in prompts:
                row = model.generate(input_ids=torch.from_numpy(ids[None]), attention_mask=torch.ones(
                    1, len(ids), dtype=torch.long), pad_token_id=tokenizer.eos_token_id, **settings)
                out.append(row[0, len(ids):].numpy())
        return out

    ours_runs, base_runs = [], []
    for _ in range(args.repeats):  # alternate, so machine noise hits both alike
        began = time.perf_counter()
        base = one_at_a_time()
        base_runs.append(sum(map(len, base)) / (time.perf_counter() - began))
        began = time.perf_counter()
        mine = engine.generate_sorted(prompts, args.batch_size)
        ours_runs.append(sum(map(len, mine)) / (time.perf_counter() - began))
    same = all(np.array_equal(a, b) for a, b in zip(base, mine))
    if not same:
        raise SystemExit("generated tokens differ between the batched engine and batch-1 generate")
    ours, base_rate = round(statistics.median(ours_runs), 2), round(statistics.median(base_runs), 2)
    ratio = round(ours / base_rate, 4)
    print(f"GPT-J (tiny, random) generation of {len(prompts)} prompts, beam 4, new tokens/s, 1 thread, "
          f"median of {args.repeats} alternating runs, tokens identical: {same}")
    label = f"engine, batch {args.batch_size}"
    print(f"  {label:<28} {ours:>8.2f}   (runs: {', '.join(f'{x:.0f}' for x in ours_runs)})")
    print(f"  {'reference, batch 1':<28} {base_rate:>8.2f}   (runs: {', '.join(f'{x:.0f}' for x in base_runs)})")
    print(f"  ratio ours/baseline          {ratio}")
    print(json.dumps({"bench": "gptj_generation", "ours": ours, "baseline": base_rate, "ratio": ratio,
                      "unit": "new tokens/s"}))


if __name__ == "__main__":
    main()
