"""Shards: slices cover the run once; merging any number of shards in any order equals one run."""

from __future__ import annotations

import json
import random

import pytest
from conftest import FIXTURE_COUNT, harness_env, labelled_manifest, run, sha256

from harness import shards
from harness.errors import UsageError


@pytest.mark.parametrize("count,parts", [(10, 3), (24, 24), (13368, 7), (5, 1), (12, 11)])
def test_slices_cover_every_sample_once_and_differ_by_at_most_one(count, parts):
    bounds = [shards.slice_of(count, parts, i) for i in range(parts)]
    assert bounds[0][0] == 0 and bounds[-1][1] == count
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1


def fake_shard(tmp_path, index, count, total, **overrides):
    start, stop = shards.slice_of(total, count, index)
    run_dir = tmp_path / f"shard{index:02d}"
    run_dir.mkdir()
    entries = [{"seq_id": k, "qsl_idx": k, "data": f"{start + k:08X}"} for k in reversed(range(stop - start))]
    shards.write_accuracy_log(run_dir / "mlperf_log_accuracy.json", entries)
    (run_dir / "accuracy.txt").write_text(f"accuracy=...\nhash={sha256(run_dir / 'mlperf_log_accuracy.json')}\n")
    config = {"scenario": "Offline", "n_count": total, "data_type": "float32", "backend": "reference"}
    result = {"benchmark": "resnet50", "status": "completed", "config": config,
              "artifacts": {"weights": {"path": "w.pt", "digests": {"sha256": "aa"}}},
              "backend_settings": {}, "provenance": {"harness": {"commit": "c0ffee", "dirty": False}},
              "shard": {"index": index, "count": count, "start": start, "stop": stop}}
    result.update(overrides)
    (run_dir / "result.json").write_text(json.dumps(result))
    return run_dir


def test_twelve_shards_in_any_order_merge_to_global_indices(tmp_path):
    dirs = [fake_shard(tmp_path, i, 12, 30) for i in range(12)]
    random.Random(1).shuffle(dirs)
    first, entries = shards.collect(dirs)
    assert sorted(e["qsl_idx"] for e in entries) == list(range(30))
    assert all(int(e["data"], 16) == e["qsl_idx"] for e in entries)  # shard 10 lands after shard 9
    out = tmp_path / "merged.json"
    shards.write_accuracy_log(out, entries)
    assert [e["seq_id"] for e in json.loads(out.read_text())] == list(range(30))
    assert out.read_text().splitlines()[1].startswith('{ "seq_id" : 0, "qsl_idx" : ')


def test_missing_repeated_or_foreign_shards_are_refused(tmp_path):
    dirs = [fake_shard(tmp_path, i, 4, 20) for i in range(4)]
    with pytest.raises(UsageError, match=r"missing \[2\]"):
        shards.collect(dirs[:2] + dirs[3:])
    with pytest.raises(UsageError, match=r"repeated \[1\]"):
        shards.collect(dirs + [dirs[1]])
    (tmp_path / "x").mkdir()
    other = fake_shard(tmp_path / "x", 3, 4, 20, benchmark="bert")
    with pytest.raises(UsageError, match="benchmark"):
        shards.collect(dirs[:3] + [other])


@pytest.mark.parametrize("change,named", [
    ({"artifacts": {"weights": {"path": "w.pt", "digests": {"sha256": "bb"}}}}, "artifacts"),
    ({"config": {"scenario": "Offline", "n_count": 20, "data_type": "bfloat16", "backend": "reference"}},
     "data_type"),
    ({"backend_settings": {"num_beams": 1}}, "backend settings"),
    ({"provenance": {"harness": {"commit": "decade", "dirty": False}}}, "harness revision"),
])
def test_shards_of_another_model_setting_or_revision_are_refused(tmp_path, change, named):
    dirs = [fake_shard(tmp_path, i, 2, 20) for i in range(2)]
    (tmp_path / "x").mkdir()
    other = fake_shard(tmp_path / "x", 1, 2, 20, **change)
    with pytest.raises(UsageError, match=f"differs from the other shards in {named}"):
        shards.collect([dirs[0], other])


def test_a_shard_log_changed_after_scoring_is_refused(tmp_path):
    dirs = [fake_shard(tmp_path, i, 2, 20) for i in range(2)]
    log = dirs[1] / "mlperf_log_accuracy.json"
    log.write_text(log.read_text().replace('"0000000A"', '"0000000B"'))
    with pytest.raises(UsageError, match="the log was changed after the shard ran"):
        shards.collect(dirs)


def test_gpus_list_runs_shards_and_the_merge_equals_one_run(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=21)
    common = dict(MANIFEST=manifest, N_COUNT=FIXTURE_COUNT, BATCH_SIZE=5, WORKERS=1, RESUME=0)
    single = run(["make", "resnet"], harness_env(tmp_path / "one", DEVICE="cpu", **common))
    assert single.returncode == 0, single.stdout + single.stderr
    sharded = run(["make", "resnet"], harness_env(tmp_path / "many", GPUS="cpu,cpu,cpu", **common))
    assert sharded.returncode == 0, sharded.stdout + sharded.stderr
    assert sharded.stdout.count("=== shard ") == 3
    line = "accuracy=87.500%, good=21, total=24"
    assert line in single.stdout and line in sharded.stdout

    def by_index(log_dir, merged):
        for result_file in log_dir.rglob("result.json"):
            result = json.loads(result_file.read_text())
            if ("merged_from" in result) == merged:
                entries = json.loads((result_file.parent / "mlperf_log_accuracy.json").read_text())
                return result, {e["qsl_idx"]: e["data"] for e in entries}

    one_result, one = by_index(tmp_path / "one" / "logs", merged=False)
    merged_result, merged = by_index(tmp_path / "many" / "logs", merged=True)
    assert merged == one and len(merged_result["merged_from"]) == 3
    assert merged_result["verdict_on_slice"] == one_result["verdict_on_slice"] == "PASS"
    accuracy_txt = (tmp_path / "many" / "logs").rglob("accuracy.txt")
    merged_txt = [p for p in accuracy_txt if str(p.parent) == merged_result["run_dir"]]
    assert merged_txt and merged_txt[0].read_text().splitlines()[0] == line
