"""DLRM-v2 accuracy-log scoring, memory and time: ours (the log streamed entry by entry through
``codecs.Responses``, pairs gathered into growing float32 arrays) vs a straightforward scorer as the reference writes it
(json.load of the whole log, Python lists of per-pair values), on the same synthetic log of
realistic shape (aggregated samples of 100-700 pairs). Each scorer runs in its own process;
memory = peak RSS of scoring above the RSS once numpy and scikit-learn are imported (both then
pay scikit-learn's own AUC buffers alike; the peak before the AUC call is shown too). Both must
print the same line. Ratio > 1: ours needs less memory (resp. time).

    python bench/dlrm_scoring.py [--samples 1500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic_log(path: Path, samples: int, seed: int = 0) -> int:
    from recommendation.dlrm_v2 import aggregation

    rng = np.random.default_rng(seed)
    quantiles = aggregation.read_quantiles()
    pairs, entries = 0, []
    for seq, idx in enumerate(rng.permutation(samples)):
        n = int(quantiles[rng.integers(0, len(quantiles))])
        labels = (rng.random(n) < 0.25).astype(np.float32)
        preds = np.clip(rng.normal(0.25 + 0.3 * labels, 0.2), 0, 1).astype(np.float32)
        data = np.column_stack([preds, labels]).astype("<f4").tobytes().hex().upper()
        entries.append(f'{{ "seq_id" : {seq}, "qsl_idx" : {int(idx)}, "data" : "{data}" }}')
        pairs += n
    path.write_text("[\n" + ",\n".join(entries) + "\n]\n")  # LoadGen's layout
    return pairs


def rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_ours(log: Path, marks: dict) -> str:
    from harness.codecs import FLOAT32, Responses
    from recommendation.dlrm_v2.metric import collect, score_collected

    found = collect(Responses(log, FLOAT32))
    marks["decoded"] = peak_mib()
    return score_collected(found, found.labels).lines[0]


def score_baseline(log: Path, marks: dict) -> str:
    import sklearn.metrics

    with open(log) as handle:
        results = json.load(handle)
    seen, good, total, preds, targets = set(), 0, 0, [], []
    for item in results:
        if item["qsl_idx"] in seen:
            continue
        seen.add(item["qsl_idx"])
        data = np.frombuffer(bytes.fromhex(item["data"]), np.float32).reshape(-1, 2)
        for k in range(len(data)):
            total += 1
            preds.append(data[k][0])
            targets.append(data[k][1])
            good += int(data[k][0].round() == data[k][1])
    marks["decoded"] = peak_mib()
    auc = sklearn.metrics.roc_auc_score(np.array(targets), np.array(preds))
    return (f"AUC={100.0 * auc:.3f}%, accuracy={100.0 * good / total:.3f}%, good={good}, total={total}, "
            f"queries={len(seen)}")


def child(role: str, log: Path) -> None:
    import sklearn.metrics  # noqa: F401 - both pay the same imports before the measurement

    base, marks = rss_mib(), {}
    start = time.perf_counter()
    line = (score_ours if role == "ours" else score_baseline)(log, marks)
    seconds = time.perf_counter() - start
    print(json.dumps({"line": line, "seconds": seconds, "mib": peak_mib() - base,
                      "decoded_mib": marks["decoded"] - base}))


def measure(role: str, log: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", role, "--log", str(log)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1500, help="aggregated samples (~270 pairs each)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=("ours", "baseline"))
    parser.add_argument("--log")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.log))
        return
    with tempfile.TemporaryDirectory(prefix="bench-dlrm-scoring-") as tmp:
        log = Path(tmp) / "mlperf_log_accuracy.json"
        pairs = synthetic_log(log, args.samples)
        runs = {"ours": [], "baseline": []}
        for _ in range(args.repeats):  # alternate, so machine noise hits both alike
            for role in runs:
                runs[role].append(measure(role, log))
        size = log.stat().st_size / (1 << 20)
    lines = {r["line"] for rs in runs.values() for r in rs}
    if len(lines) != 1:
        raise SystemExit(f"the scorers disagree: {lines}")
    mem = {role: statistics.median(r["mib"] for r in rs) for role, rs in runs.items()}
    sec = {role: statistics.median(r["seconds"] for r in rs) for role, rs in runs.items()}
    held = {role: statistics.median(r["decoded_mib"] for r in rs) for role, rs in runs.items()}
    print(f"DLRM-v2 scoring of {args.samples} samples / {pairs} pairs ({size:.1f} MiB log), median of "
          f"{args.repeats}; {lines.pop()}")
    print(f"  {'scorer':<34} {'peak MiB':>9} {'decoded MiB':>12} {'seconds':>8}   (decoded: peak before the AUC)")
    print(f"  {'streamed + numpy arrays (ours)':<34} {mem['ours']:9.1f} {held['ours']:12.1f} {sec['ours']:8.2f}")
    print(f"  {'json.load + Python lists':<34} {mem['baseline']:9.1f} {held['baseline']:12.1f} {sec['baseline']:8.2f}")
    print(json.dumps({"bench": "dlrm_scoring_peak_memory", "ours": round(mem["ours"], 1),
                      "baseline": round(mem["baseline"], 1), "ratio": round(mem["baseline"] / mem["ours"], 3),
                      "unit": "MiB"}))
    print(json.dumps({"bench": "dlrm_scoring_time", "ours": round(sec["ours"], 3), "baseline": round(sec["baseline"], 3),
                      "ratio": round(sec["baseline"] / sec["ours"], 3), "unit": "s"}))


if __name__ == "__main__":
    main()
