"""EXECUTOR=ray overhead: the ResNet demo (64 generated images, small random ResNet, CPU) in 3 shards,
as Ray tasks on a local Ray instance vs local shards (GPUS=cpu,cpu,cpu), wall time of the whole
command (bash scripts/eval.sh resnet: checks, shards, merge and score), alternating, median.

What the Ray side pays on top: the driver's start, a local Ray instance started and stopped per
command, and each task's `harness env` check on its node. Both sides run the same shards with the
same settings (RESUME=0, WORKERS=1, THREADS=1) and merge to the same log (checked). A task asks
for one CPU, so a local instance runs as many shards at once as there are cores (local shards all
start at once and share them).
Ratio > 1: Ray is faster; expect < 1 on one machine (Ray buys the other machines, not speed here).

    python bench/ray_overhead.py [--repeats 3] [--shards 3]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness import registry  # noqa: E402
from harness.declaration import load_object  # noqa: E402

TOKEN = secrets.token_hex(32)


def timed(work: Path, label: str, **settings) -> tuple[float, dict]:
    """Seconds of one sharded command, and the merged log by sample index."""
    log_dir = work / "logs" / label
    env = {**{k: v for k, v in os.environ.items() if k not in ("GPUS", "EXECUTOR", "SHARDS", "RAY_ADDRESS")},
           "ENV_MANAGER": "none", "PYTHON": sys.executable, "PYTHONPATH": str(ROOT), "DATA_DIR": str(work / "data"),
           "LOG_DIR": str(log_dir), "RESUME": "0", "WORKERS": "1", "THREADS": "1", "DEVICE": "cpu",
           "RAY_AUTH_TOKEN": TOKEN, **settings}  # the local instance's token: none written to ~/.ray
    began = time.perf_counter()
    done = subprocess.run(["bash", str(ROOT / "scripts" / "eval.sh"), "resnet"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"{label} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    merged = [json.loads(p.read_text()) for p in log_dir.rglob("result.json")]
    (result,) = [r for r in merged if "merged_from" in r]
    entries = json.loads((Path(result["run_dir"]) / "mlperf_log_accuracy.json").read_text())
    return seconds, {e["qsl_idx"]: e["data"] for e in entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shards", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "data").mkdir()
        manifest = load_object(registry.get("resnet").demo)(work / "data" / "demo" / "resnet")
        count = json.loads(Path(manifest).read_text())["count"]
        common = {"MANIFEST": str(manifest), "N_COUNT": str(count)}
        timed(work, "warm-up", GPUS="cpu,cpu", **common)  # the preprocessed images are cached for both sides
        local, ray = [], []
        for repeat in range(args.repeats):
            seconds, local_log = timed(work, f"local-{repeat}", GPUS=",".join(["cpu"] * args.shards), **common)
            local.append(seconds)
            seconds, ray_log = timed(work, f"ray-{repeat}", EXECUTOR="ray", SHARDS=str(args.shards), **common)
            ray.append(seconds)
            assert ray_log == local_log and len(ray_log) == count, "the Ray run's merged log differs"
    o, b = statistics.median(ray), statistics.median(local)
    print(f"ResNet demo, {count} samples in {args.shards} CPU shards, {os.cpu_count()} cores, "
          f"median of {args.repeats} alternating runs (wall seconds of bash scripts/eval.sh resnet)")
    print(f"  {'EXECUTOR=ray (local instance)':<32} {o:>7.2f} s   runs: {', '.join(f'{x:.2f}' for x in ray)}")
    print(f"  {'GPUS=' + ','.join(['cpu'] * args.shards) + ' (local shards)':<32} {b:>7.2f} s   "
          f"runs: {', '.join(f'{x:.2f}' for x in local)}")
    print(f"  ratio local/ray                  {b / o:.3f}   (Ray's overhead: {o - b:+.2f} s per command)")
    print(json.dumps({"bench": "ray_shards_overhead", "ours": round(o, 2), "baseline": round(b, 2),
                      "ratio": round(b / o, 3), "unit": "s"}))


if __name__ == "__main__":
    main()
