"""`python -m harness diff` on a full-size Llama-2 log pair, time and memory: ours (``harness.diff.compare``
on two run directories: both logs streamed in step through ``codecs.Responses``, tokens compared as
numpy arrays) vs a straightforward diff (json.load of both logs, bytes.fromhex per entry, token ids
as Python lists, compared token by token), on the same two synthetic logs of 24,576 samples of int64
ids (lengths log-normal around the reference's 294 tokens per sample, EOS-terminated; 10 % of the
samples diverge from a random position on; the two logs in different orders, as two backends
complete them). Only tokens are compared: no tokenizer or punkt here, so no texts and no ROUGE (the
same for both). Each side runs in its own process; memory = peak RSS above the RSS after imports.
Both must find the same exact matches and positions. Ratio > 1: ours is faster (resp. smaller).

    python bench/diff_llm.py [--samples 24576] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EOS, VOCAB = 2, 32000


def write_log(path: Path, outputs: dict[int, np.ndarray], order) -> None:
    hexed = {idx: ids.astype("<i8").tobytes().hex().upper() for idx, ids in outputs.items()}
    entries = [f'{{ "seq_id" : {seq}, "qsl_idx" : {int(idx)}, "data" : "{hexed[idx]}" }}'
               for seq, idx in enumerate(order)]
    path.write_text("[\n" + ",\n".join(entries) + "\n]\n")  # LoadGen's layout


def synthetic_runs(folder: Path, samples: int, seed: int = 0) -> tuple[Path, Path, int]:
    """Two run directories of llama2 with logs that differ in 10 % of the samples; the tokens in all."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(250), 0.6, samples), 2, 1024).astype(int)
    golden = {i: np.append(rng.integers(3, VOCAB, n - 1), EOS) for i, n in enumerate(lengths)}
    other = dict(golden)
    for i in rng.choice(samples, samples // 10, replace=False):
        start = int(rng.integers(0, len(golden[i]) - 1))
        tail = rng.integers(3, VOCAB, int(rng.integers(1, 400)))
        other[i] = np.concatenate([golden[i][:start], tail, [EOS]])
    (folder / "data").mkdir()
    runs = []
    for name, outputs in (("a", golden), ("b", other)):
        run_dir = folder / name
        run_dir.mkdir()
        write_log(run_dir / "mlperf_log_accuracy.json", outputs, rng.permutation(samples))
        config = {"mode": "accuracy", "data_dir": str(folder / "data"), "scenario": "Offline", "backend": "reference"}
        (run_dir / "result.json").write_text(json.dumps({"benchmark": "llama2_70b", "status": "completed",
                                                         "config": config, "metrics": {}}))
        runs.append(run_dir)
    return runs[0], runs[1], int(lengths.sum())


def diff_ours(run_a: Path, run_b: Path) -> dict:
    from harness.diff import compare

    report = compare(run_a, run_b)
    return {"exact": report["figures"]["exact_match"],
            "positions": sorted((r["index"], r["first_divergence"]) for r in report["rows"])}


def diff_baseline(run_a: Path, run_b: Path) -> dict:
    def load(run_dir):
        with open(run_dir / "mlperf_log_accuracy.json") as handle:
            entries = json.load(handle)
        outputs = {}
        for entry in entries:
            if entry["qsl_idx"] not in outputs:  # the first response per sample
                ids = np.frombuffer(bytes.fromhex(entry["data"]), "<i8").tolist()
                outputs[entry["qsl_idx"]] = ids[: ids.index(EOS)] if EOS in ids else ids
        return outputs

    a, b = load(run_a), load(run_b)
    exact, positions = 0, []
    for idx in sorted(a.keys() & b.keys()):
        x, y = a[idx], b[idx]
        position = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), None)
        if position is None and len(x) != len(y):
            position = min(len(x), len(y))
        if position is None:
            exact += 1
        else:
            positions.append((idx, position))
    return {"exact": exact, "positions": positions}


def status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process; unlike getrusage's ru_maxrss, VmHWM starts afresh at
    exec, so the parent's memory (the generated logs) does not count."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(role: str, run_a: Path, run_b: Path) -> None:
    import language.llama2_70b.diff  # noqa: F401 - both sides pay their imports before the measurement
    import harness.diff  # noqa: F401

    base = status_mib("VmRSS")
    start = time.perf_counter()
    found = (diff_ours if role == "ours" else diff_baseline)(run_a, run_b)
    seconds = time.perf_counter() - start
    print(json.dumps({"found": found, "seconds": seconds, "mib": status_mib("VmHWM") - base}))


def measure(role: str, run_a: Path, run_b: Path) -> dict:
    env = dict(os.environ, OFFLINE="1")  # no artifact is here: ours notes that and compares tokens only
    done = subprocess.run([sys.executable, __file__, "--child", role, str(run_a), str(run_b)],
                          capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=24576)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=("ours", "baseline"))
    parser.add_argument("runs", nargs="*")
    args = parser.parse_args()
    if args.child:
        child(args.child, *map(Path, args.runs))
        return
    with tempfile.TemporaryDirectory(prefix="bench-diff-llm-") as tmp:
        run_a, run_b, tokens = synthetic_runs(Path(tmp), args.samples)
        size = sum((r / "mlperf_log_accuracy.json").stat().st_size for r in (run_a, run_b)) / (1 << 20)
        runs = {"ours": [], "baseline": []}
        for _ in range(args.repeats):  # alternate, so machine noise hits both alike
            for role in runs:
                runs[role].append(measure(role, run_a, run_b))
    found = {json.dumps(r["found"]) for rs in runs.values() for r in rs}
    if len(found) != 1:
        raise SystemExit("the two diffs disagree")
    result = json.loads(found.pop())
    sec = {role: statistics.median(r["seconds"] for r in rs) for role, rs in runs.items()}
    mem = {role: statistics.median(r["mib"] for r in rs) for role, rs in runs.items()}
    print(f"diff of two Llama-2 logs: {args.samples} samples, {tokens} tokens in A, {size:.0f} MiB of logs; "
          f"{result['exact']} exact matches, {len(result['positions'])} diverging; median of {args.repeats}")
    print(f"  {'diff':<44} {'seconds':>8} {'peak MiB':>9}")
    print(f"  {'harness.diff.compare (streamed, numpy)':<44} {sec['ours']:8.2f} {mem['ours']:9.1f}")
    print(f"  {'json.load + fromhex + Python lists':<44} {sec['baseline']:8.2f} {mem['baseline']:9.1f}")
    print(json.dumps({"bench": "diff_llm_time", "ours": round(sec["ours"], 3), "baseline": round(sec["baseline"], 3),
                      "ratio": round(sec["baseline"] / sec["ours"], 3), "unit": "s"}))
    print(json.dumps({"bench": "diff_llm_peak_memory", "ours": round(mem["ours"], 1),
                      "baseline": round(mem["baseline"], 1), "ratio": round(mem["baseline"] / mem["ours"], 3),
                      "unit": "MiB"}))


if __name__ == "__main__":
    main()
