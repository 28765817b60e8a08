"""ROUGE scoring throughput of the LLM scorer: WORKERS processes vs one process, on generated
summary-like pairs; the per-sample F-measures and the rounded results are checked identical.
Unit: pairs per second. Ratio > 1: parallel is faster.

    python bench/rouge_parallel.py [--pairs 4000] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from language.gptj.demo import WORDS
    from language.llm import rouge

    rng = np.random.default_rng(0)

    def summary():
        return " ".join(rng.choice(WORDS, int(rng.integers(30, 90))))

    preds = [summary() for _ in range(args.pairs)]
    refs = [summary() for _ in range(args.pairs)]
    ours_runs, base_runs = [], []
    for _ in range(args.repeats):
        began = time.perf_counter()
        serial = rouge.fmeasures(preds, refs, workers=1)
        base_runs.append(args.pairs / (time.perf_counter() - began))
        began = time.perf_counter()
        parallel = rouge.fmeasures(preds, refs, workers=args.workers)
        ours_runs.append(args.pairs / (time.perf_counter() - began))
    same = np.array_equal(serial, parallel) and rouge.aggregate(serial) == rouge.aggregate(parallel)
    if not same:
        raise SystemExit("parallel ROUGE differs from one process")
    ours, base = round(statistics.median(ours_runs), 2), round(statistics.median(base_runs), 2)
    ratio = round(ours / base, 4)
    print(f"ROUGE-1/2/L/Lsum (use_stemmer) of {args.pairs} generated pairs, pairs/s, median of "
          f"{args.repeats} alternating runs, numbers identical: {same} {rouge.aggregate(parallel)}")
    label = f"{args.workers} worker processes"
    print(f"  {label:<28} {ours:>8.2f}   (runs: {', '.join(f'{x:.0f}' for x in ours_runs)})")
    print(f"  {'one process':<28} {base:>8.2f}   (runs: {', '.join(f'{x:.0f}' for x in base_runs)})")
    print(f"  ratio ours/baseline          {ratio}")
    print(json.dumps({"bench": "rouge_parallel", "ours": ours, "baseline": base, "ratio": ratio, "unit": "pairs/s"}))


if __name__ == "__main__":
    main()
