"""`make retinanet` end to end through the real LoadGen wheel, on a generated fixture whose
expected mAP is computed directly with pycocotools from the model's own detections."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import retinanet_fixture as fx
from conftest import harness_env, run, sha256

LOADGEN_FILES = ("mlperf_log_accuracy.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt",
                 "mlperf_log_trace.json")


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("pycocotools")
    return fx.build(tmp_path_factory.mktemp("retinanet_fixture"))


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "retinanet" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def test_offline_run_scores_the_directly_computed_map(fixture, tmp_path):
    # Ground truth: the model's 3 best detections on each image, so the detections below them
    # are false positives and the mAP lands between 0 and 100 (FAIL against 37.1745 or not).
    truth = fx.truth_from_model(fixture, best=3)
    manifest = fx.write_truth(fixture, tmp_path / "truth", truth)
    count = fx.FIXTURE_COUNT
    expected = fx.direct_map(tmp_path / "truth" / "annotations" / "openimages-mlperf.json",
                             fx.scaled_detections(fixture, count), range(1, count + 1))
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=count, SCENARIO="Offline", BATCH_SIZE=count, DEVICE="cpu")
    done = run(["make", "retinanet"], env)
    value = float(expected[4:-1])
    assert (done.returncode == 0) == (value >= 37.1745), done.stdout + done.stderr
    assert expected in done.stdout, (expected, done.stdout[-2000:])

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    for name in (*LOADGEN_FILES, "accuracy.txt", "result.json", "console.log", "user.conf"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [
        expected, f"hash={sha256(run_dir / 'mlperf_log_accuracy.json')}"]
    result = json.loads((run_dir / "result.json").read_text())
    assert result["metrics"] == {"mAP": value}
    assert result["verdict_on_slice"] == ("PASS" if value >= 37.1745 else "FAIL")
    assert result["samples"]["asked"] == count and result["samples"]["scored"] == count
    assert result["samples"]["partial"] is True and result["samples"]["duplicates"] == 0
    target = result["targets"][0]
    assert target["key"] == "retinanet" and target["threshold"] == pytest.approx(37.1745)
    assert result["loadgen"]["summary"]["effective_scenario"] == "Offline"
    assert result["loadgen"]["summary"]["errors"] == []
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(count))
    sizes = {e["qsl_idx"]: len(e["data"]) // 2 for e in entries}
    assert all(sizes[i] == 28 * len(fixture["found"][i]["scores"]) for i in range(count))  # 7 float32 each


def test_single_stream_run_passes_when_truth_is_the_model(fixture, tmp_path):
    manifest = fx.write_truth(fixture, tmp_path / "truth", fx.truth_from_model(fixture, best=None))
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=fx.FIXTURE_COUNT, SCENARIO="SingleStream",
                      BATCH_SIZE=1, DEVICE="cpu", WORKERS=2)
    done = run(["make", "retinanet"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mAP=100.000%" in done.stdout and "PASS" in done.stdout
    run_dir = only_run_dir(tmp_path / "logs", "SingleStream")
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "PASS" and result["metrics"] == {"mAP": 100.0}
    assert result["loadgen"]["summary"]["effective_scenario"] == "SingleStream"

    # the accuracy command scores the same log to the same line, with upstream's verbose counts
    out_file = tmp_path / "openimages-results.json"
    score = run([sys.executable, "-m", "harness", "accuracy", "retinanet", "--mlperf-accuracy-file",
                 str(run_dir / "mlperf_log_accuracy.json"), "--openimages-dir", str(tmp_path / "truth"),
                 "--output-file", str(out_file), "--verbose"], env)
    assert score.returncode == 0, score.stderr
    lines = score.stdout.splitlines()
    assert lines[-5:] == ["mAP=100.000%", f"found {fx.FIXTURE_COUNT} results", f"found {fx.FIXTURE_COUNT} images",
                          "found 0 images with no results", "ignored 0 dupes"]
    written = json.loads(out_file.read_text())
    assert len(written) == sum(len(f["scores"]) for f in fixture["found"])


def test_missing_dataset_gives_the_exact_instruction(tmp_path):
    done = run(["make", "retinanet"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0 and "make: *** [Makefile" in done.stderr, done.stdout + done.stderr
    assert "3 artifact(s) not available" in done.stderr
    assert "python -m vision.retinanet.build_dataset" in done.stderr
    assert "resnext50_32x4d_fpn.pth" in done.stderr and "zenodo.org/record/6617981" in done.stderr
    assert not (tmp_path / "logs").exists()
