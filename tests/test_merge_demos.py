"""Merging shard runs works for every benchmark: two shards of its demo, then `harness merge`.

The merged run scores every sample once with the dataset's own indices (the LLM benchmarks used
to fail here: their datasets were empty until prepared, and a merge never prepares)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT, harness_env, run

from harness import registry

COUNT = 3  # two shards of 2 and 1 samples keep every demo quick (3D-UNet's demo has 3 cases)
DEMOS = [b.make_name for b in registry.all_benchmarks() if b.demo]


def test_every_benchmark_has_a_demo_to_merge():
    assert len(DEMOS) == len(registry.all_benchmarks()) == 10


@pytest.mark.parametrize("name", DEMOS)
def test_two_shards_of_the_demo_merge_into_one_scored_run(tmp_path, name):
    env = harness_env(tmp_path, N_COUNT=COUNT, SHARDS=2, WORKERS=1, THREADS=1, OMP_NUM_THREADS=1)
    shard_dirs = []
    for shard in range(2):
        where = tmp_path / f"shard{shard}.txt"
        done = run([sys.executable, "-m", "harness", "demo", name, "--run-dir-file", str(where)],
                   dict(env, SHARD=str(shard)))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        shard_dirs.append(where.read_text().strip())
    merged = run([sys.executable, "-m", "harness", "merge", *shard_dirs], env)
    assert merged.returncode == 0, merged.stdout[-3000:] + merged.stderr[-3000:]
    results = [json.loads(p.read_text()) for p in (tmp_path / "logs").rglob("result.json")]
    (result,) = [r for r in results if r.get("merged_from")]
    assert result["status"] == "completed" and result["name"] == name
    assert result["samples"]["scored"] == COUNT and result["samples"]["duplicates"] == 0
    log = json.loads((ROOT / result["run_dir"] / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in log) == list(range(COUNT))
    assert result["accuracy_lines"] and (ROOT / result["run_dir"] / "accuracy.txt").is_file()
