"""`make rnnt` end to end through the real LoadGen wheel, on generated audio with known answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import rnnt_fixture
from conftest import harness_env, run, sha256

from speech_recognition.rnnt.wer import wer_line


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("soundfile")
    return rnnt_fixture.build(tmp_path_factory.mktemp("rnnt_fixture"))


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "rnnt" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize("scenario,correct", [("Offline", 6), ("Server", 6)])
def test_make_rnnt_scores_known_answers_and_fails(fixture, tmp_path, scenario, correct):
    manifest, errors, words = rnnt_fixture.labelled(fixture, tmp_path / "labels", correct=correct)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=rnnt_fixture.COUNT, SCENARIO=scenario, DEVICE="cpu")
    done = run(["make", "rnnt"], env)
    assert done.returncode != 0, done.stdout + done.stderr
    line = wer_line(errors / words)
    assert errors == 6 and line in done.stdout and "FAIL" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", scenario)
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [
        line, f"hash={sha256(run_dir / 'mlperf_log_accuracy.json')}"]
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "FAIL" and result["status"] == "completed"
    assert result["metrics"] == {"WER": (1 - errors / words) * 100}
    assert result["targets"][0]["threshold"] == pytest.approx(91.62252)
    assert result["samples"]["asked"] == result["samples"]["scored"] == rnnt_fixture.COUNT
    assert result["samples"]["duplicates"] == 0
    assert result["loadgen"]["summary"]["effective_scenario"] == scenario
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(rnnt_fixture.COUNT))


def test_make_rnnt_single_stream_passes_and_the_accuracy_command_agrees(fixture, tmp_path):
    manifest, errors, _ = rnnt_fixture.labelled(fixture, tmp_path / "labels", correct=rnnt_fixture.COUNT)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=8, SCENARIO="SingleStream", DEVICE="cpu")
    done = run(["bash", "scripts/eval_rnnt.sh"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert errors == 0 and "Word Error Rate: 0.0%, accuracy=100.0%" in done.stdout
    run_dir = only_run_dir(tmp_path / "logs", "SingleStream")
    assert json.loads((run_dir / "result.json").read_text())["verdict_on_slice"] == "PASS"

    # upstream's flags; the manifest keeps 12, the log holds the first 8: same line
    score = run([sys.executable, "-m", "harness", "accuracy", "rnnt", "--log_dir", str(run_dir),
                 "--dataset_dir", str(fixture["folder"] / "dataset"), "--manifest",
                 str(tmp_path / "labels" / "dev-clean-wav.json")], env)
    assert score.returncode == 0, score.stderr
    assert score.stdout == "Word Error Rate: 0.0%, accuracy=100.0%\n"


def test_demo_runs_the_pipeline_and_says_it_is_no_claim(tmp_path):
    pytest.importorskip("soundfile")
    done = run(["bash", "scripts/demo.sh", "rnnt"], harness_env(tmp_path, N_COUNT=6))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no accuracy claim" in done.stdout and "Word Error Rate: " in done.stdout
    result = json.loads(next((tmp_path / "logs").rglob("result.json")).read_text())
    assert result["demo"] is True and result["samples"]["scored"] == 6


def test_missing_data_names_the_sources_and_checksums(tmp_path):
    done = run(["make", "rnnt"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0
    assert "dev-clean.tar.gz" in done.stderr and "openslr.org/resources/12" in done.stderr
    assert "dev-clean-wav.json" in done.stderr and "zenodo.org/record/3662521" in done.stderr
    assert not (tmp_path / "logs").exists()
