"""`make resnet` end to end through the real LoadGen wheel, on a fixture with known answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_COUNT, harness_env, labelled_manifest, run, sha256

from harness.loadgen_logs import read_detail

LOADGEN_FILES = ("mlperf_log_accuracy.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt",
                 "mlperf_log_trace.json")


def only_run_dir(log_dir: Path, scenario: str, data_type: str = "float32") -> Path:
    runs = sorted((log_dir / "resnet" / scenario / data_type).iterdir())
    assert len(runs) == 1, runs
    return runs[0]


# MultiStream issues 8 samples per query: 20 samples are padded with repeats to 24 (duplicates).
@pytest.mark.parametrize("scenario,batch,count,correct", [
    ("Offline", 7, 24, 18), ("Server", 4, 24, 18), ("SingleStream", 1, 24, 18), ("MultiStream", 3, 20, 15)])
def test_make_resnet_scores_known_answers(resnet_fixture, tmp_path, scenario, batch, count, correct):
    # 3 in 4 labels agree with the model: 75.000% is below the 75.6954 target, so FAIL, exit 1.
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=correct)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=count, SCENARIO=scenario,
                      BATCH_SIZE=batch, DEVICE="cpu")
    done = run(["make", "resnet"], env)
    assert done.returncode != 0, done.stdout + done.stderr
    line = f"accuracy=75.000%, good={correct}, total={count}"
    assert line in done.stdout
    assert "FAIL" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", scenario)
    for name in (*LOADGEN_FILES, "accuracy.txt", "result.json", "console.log", "user.conf"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "mlperf_log_trace.json").stat().st_size == 0  # trace off
    lines = (run_dir / "accuracy.txt").read_text().splitlines()
    assert lines == [line,
                     f"hash={sha256(run_dir / 'mlperf_log_accuracy.json')}"]

    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "FAIL" and result["status"] == "completed"
    assert result["config"]["scenario"] == scenario and result["config"]["batch_size"] == batch
    assert result["metrics"] == {"acc": 75.0}
    assert result["samples"]["asked"] == count and result["samples"]["scored"] == count
    assert result["samples"]["partial"] is True
    target = result["targets"][0]
    assert target["threshold"] == pytest.approx(75.6954) and target["ratio_percent"] == pytest.approx(
        100 * 75.0 / 76.46)
    assert result["artifacts"]["weights"]["digests"]["sha256"] == sha256(
        resnet_fixture["folder"] / "resnet_tiny.pt")
    assert result["provenance"]["packages"]["mlcommons-loadgen"] == "4.1.30"
    assert result["loadgen"]["summary"]["effective_scenario"] == scenario
    assert result["loadgen"]["summary"]["errors"] == []
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    if scenario == "MultiStream":
        assert len(entries) == 24 and result["samples"]["duplicates"] == 4
    else:
        assert len(entries) == count and result["samples"]["duplicates"] == 0
    assert sorted({e["qsl_idx"] for e in entries}) == list(range(count))
    assert "accuracy=75.000%" in (run_dir / "console.log").read_text()


def test_make_resnet_passes_and_exits_zero(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=FIXTURE_COUNT)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=20, DEVICE="cpu", WORKERS=2,
                      AWS_SECRET_ACCESS_KEY="s3cr3t-never-logged")
    done = run(["make", "resnet"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accuracy=100.000%, good=20, total=20" in done.stdout
    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    for path in run_dir.iterdir():  # credentials come from the environment and stay there
        assert "s3cr3t-never-logged" not in path.read_text(errors="replace"), path
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "PASS" and result["samples"]["asked"] == 20
    # 20 of 50,000 images is a check of the pipeline, never a result: PARTIAL, not PASS
    assert result["verdict"] == "PARTIAL" and ": PASS" not in done.stdout
    assert "== resnet: PARTIAL: 20 of 50,000 samples, not comparable with the target (PASS on this slice)" \
        in done.stdout

    # the accuracy command scores the same log to the same line, and writes JSON on request
    out_json = tmp_path / "metrics.json"
    score = run([sys.executable, "-m", "harness", "accuracy", "resnet", "--mlperf-accuracy-file",
                 str(run_dir / "mlperf_log_accuracy.json"), "--imagenet-val-file",
                 str(tmp_path / "labels" / "val_map.txt"), "--json", str(out_json)], env)
    assert score.returncode == 0, score.stderr
    assert score.stdout == "accuracy=100.000%, good=20, total=20\n"
    assert json.loads(out_json.read_text())["good"] == 20

    # make summary shows it against the reference
    summary = run(["make", "-s", "summary"], env)
    row = [line for line in summary.stdout.splitlines() if line.startswith("resnet ")]
    assert row and "100" in row[0] and "76.46" in row[0] and "130.79" in row[0]
    assert "PARTIAL (pass on n=20)" in row[0]


def test_demo_runs_the_pipeline_and_says_it_is_no_claim(tmp_path):
    env = harness_env(tmp_path, N_COUNT=16)
    done = run(["bash", "scripts/demo.sh", "resnet"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no accuracy claim" in done.stdout
    assert "total=16" in done.stdout
    result = json.loads(next((tmp_path / "logs").rglob("result.json")).read_text())
    assert result["demo"] is True and result["samples"]["scored"] == 16


def test_missing_dataset_gives_the_exact_instruction(tmp_path):
    env = harness_env(tmp_path, OFFLINE=1)
    done = run(["make", "resnet"], env)
    assert done.returncode != 0
    assert "ILSVRC2012_img_val.tar" in done.stderr
    assert str(tmp_path / "data" / "imagenet" / "ILSVRC2012_img_val.tar") in done.stderr
    assert "md5 29b22e2961454d5413ddabcf34fc5622" in done.stderr
    assert "https://image-net.org/" in done.stderr
    assert not (tmp_path / "logs").exists()  # nothing ran, so no run directory


def test_a_missing_listed_image_stops_the_run(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=FIXTURE_COUNT)
    val_map = tmp_path / "labels" / "val_map.txt"
    text = val_map.read_text().replace(resnet_fixture["names"][2], "ILSVRC2012_val_99999999.JPEG")
    val_map.write_text(text)
    data = json.loads(manifest.read_text())
    data["artifacts"]["val_map"]["sha256"] = sha256(val_map)
    manifest.write_text(json.dumps(data))
    done = run(["bash", "scripts/eval_resnet.sh"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=8))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "1 of 8 images" in done.stdout + done.stderr and "ILSVRC2012_val_99999999.JPEG" in done.stderr


def test_performance_mode_runs_short_and_is_not_judged(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=FIXTURE_COUNT)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=8, MODE="performance", SCENARIO="SingleStream")
    done = run(["make", "resnet"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    run_dir = only_run_dir(tmp_path / "logs", "SingleStream")
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict"] == "NOT JUDGED" and not (run_dir / "accuracy.txt").exists()
    summary = result["loadgen"]["summary"]
    assert summary["effective_test_mode"] == "PerformanceOnly" and summary["effective_min_duration_ms"] == 1000
    assert summary["result_validity"] in ("VALID", "INVALID")
    assert "short_run.conf" in result["loadgen"]["user_conf"]
    # back-to-back queries: the short run expects 1 ms each, so LoadGen generates enough for its
    # 1,000 ms (201 with the 10 ms placeholder, which a fast model finished early: an error)
    values, errors = read_detail(run_dir / "mlperf_log_detail.txt")
    assert values["generated_query_count"] > 1000 and errors == []
    assert "*.SingleStream.min_duration = 1000" in (run_dir / "user.conf").read_text()
