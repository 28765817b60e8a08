"""`make 3d-unet` end to end through the real LoadGen wheel, on generated cases with a known answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import harness_env, run, sha256
from unet3d_fixture import COUNT, plain_manifest, unet3d_fixture  # noqa: F401 - the fixture

LOADGEN_FILES = ("mlperf_log_accuracy.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt",
                 "mlperf_log_trace.json")


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "3d-unet" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


# One window per forward pass, as the reference: the oracle's values then match to the last bit.
@pytest.mark.parametrize("scenario,batch", [("Offline", 1), ("SingleStream", 1)])
def test_make_3d_unet_scores_the_directly_computed_dice(unet3d_fixture, tmp_path, scenario, batch):
    folder = unet3d_fixture["folder"]
    changes = {} if scenario == "Offline" else {"checksums": {"case_00003": "0" * 32}}
    manifest = plain_manifest(folder, tmp_path / "m", **changes)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, SCENARIO=scenario, BATCH_SIZE=batch,
                      DEVICE="cpu", WORKERS=1)
    done = run(["make", "3d-unet"], env)
    assert done.returncode != 0, done.stdout + done.stderr  # random weights: FAIL
    line = unet3d_fixture["line"]
    assert line in done.stdout and "FAIL" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", scenario)
    for name in (*LOADGEN_FILES, "accuracy.txt", "result.json", "console.log", "user.conf"):
        assert (run_dir / name).is_file(), name
    log = run_dir / "mlperf_log_accuracy.json"
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    entries = json.loads(log.read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(COUNT))
    shapes = {"case_00000": 48 * 48 * 64, "case_00003": 32 * 32 * 32, "case_00005": 32 * 48 * 48}
    assert {len(e["data"]) // 2 for e in entries} == set(shapes.values())  # one byte per voxel

    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "FAIL" and result["status"] == "completed"
    assert result["metrics"] == {"DICE": round(unet3d_fixture["means"]["composite"], 5)}
    assert result["samples"]["asked"] == COUNT and result["samples"]["scored"] == COUNT
    assert result["samples"]["partial"] is True and result["samples"]["duplicates"] == 0
    assert [t["key"] for t in result["targets"]] == ["3d-unet-99", "3d-unet-99.9"]
    assert result["targets"][0]["threshold"] == pytest.approx(0.853083)
    assert result["targets"][1]["threshold"] == pytest.approx(0.8608383)
    assert any("partial verdict: DICE over 3 of 43 cases" in n for n in result["notes"])
    assert result["details"]["kidney"] == pytest.approx(unet3d_fixture["means"]["kidney"], abs=0)
    assert result["loadgen"]["summary"]["effective_scenario"] == scenario
    assert result["loadgen"]["summary"]["errors"] == []
    assert result["provenance"]["packages"]["mlcommons-loadgen"] == "4.1.30"
    mismatch_notes = [n for n in result["notes"] if "differ from the reference checksums" in n]
    if scenario == "Offline":
        assert not mismatch_notes and result["details"]["checksum_mismatches"] == []
    else:
        assert mismatch_notes and result["details"]["checksum_mismatches"] == ["case_00003"]
        assert "1 of 3 preprocessed case(s) differ" in done.stdout

    if scenario != "Offline":
        return
    # the accuracy command scores the same log to the same line, from the run's preprocessed folder
    pre = folder / "kits19" / "preprocessed" / "ref-v1-roi32"
    score = run([sys.executable, "-m", "harness", "accuracy", "3d-unet", "--log_file", str(log),
                 "--preprocessed_data_dir", str(pre), "--postprocessed_data_dir", str(tmp_path / "post"),
                 "--num_proc", "1"], env)
    assert score.returncode == 0, score.stderr
    assert score.stdout.splitlines()[-2:] == [line, "Done!"]
    assert (tmp_path / "post" / "case_00000" / "prediction.nii.gz").is_file()


def test_shards_merge_to_the_line_of_one_run(unet3d_fixture, tmp_path):
    # the merge builds the dataset afresh and scores from the cache the shards filled, without preparing
    manifest = plain_manifest(unet3d_fixture["folder"], tmp_path / "m")
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, GPUS="cpu,cpu", WORKERS=1, RESUME=0)
    done = run(["make", "3d-unet"], env)
    assert done.returncode != 0 and done.stdout.count("=== shard ") == 2, done.stdout + done.stderr
    results = [json.loads(p.read_text()) for p in (tmp_path / "logs").rglob("result.json")]
    merged = [r for r in results if "merged_from" in r]
    assert len(merged) == 1 and merged[0]["verdict_on_slice"] == "FAIL", results
    assert merged[0]["accuracy_lines"] == [unet3d_fixture["line"]]
    assert merged[0]["samples"]["scored"] == COUNT and merged[0]["details"]["checksum_mismatches"] == []


def test_missing_data_gives_the_exact_instructions(tmp_path):
    done = run(["bash", "scripts/eval_3d-unet.sh"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "git clone https://github.com/neheller/kits19" in done.stderr
    assert "starter_code.get_imaging" in done.stderr
    assert str(tmp_path / "data" / "kits19" / "kits19-data.tar") in done.stderr
    assert "3dunet_kits19_pytorch_checkpoint.pth" in done.stderr
    assert not (tmp_path / "logs").exists()


def test_server_is_not_a_3d_unet_scenario(tmp_path):
    done = run([sys.executable, "-m", "harness", "run", "3d-unet"], harness_env(tmp_path, SCENARIO="Server"))
    assert done.returncode == 2 and "Offline|SingleStream" in done.stderr
