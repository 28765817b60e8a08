"""`make dlrm-v2` end to end through the real LoadGen wheel, on a generated day 23 and a tiny model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dlrm_v2_fixture
import numpy as np
import pytest
from conftest import harness_env, run, sha256


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    return dlrm_v2_fixture.build(tmp_path_factory.mktemp("dlrm_v2_fixture"))


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "dlrm-v2" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def expected_line(probs: list[np.ndarray], labels: list[np.ndarray]) -> str:
    from recommendation.dlrm_v2.metric import auc_of, good_of, line

    p = np.concatenate(probs).astype(np.float32)
    t = np.concatenate(labels).astype(np.float32)
    return line(auc_of(t, p), good_of(t, p), p.size, len(probs))


def assert_each_response_is_its_own(run_dir: Path, probs, labels) -> None:
    """Every logged response holds the pairs of its own sample (the reference's queue runner
    answered every chunk after the first with the first chunk's pairs)."""
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(len(probs)))
    for e in entries:
        pairs = np.frombuffer(bytes.fromhex(e["data"]), "<f4").reshape(-1, 2)
        idx = e["qsl_idx"]
        assert np.array_equal(pairs[:, 1], labels[idx].astype(np.float32)), idx
        np.testing.assert_allclose(pairs[:, 0], probs[idx], rtol=1e-5, atol=1e-7)


def test_offline_query_over_several_batches_is_scored_per_sample_and_fails(fixture, tmp_path):
    manifest, labels = dlrm_v2_fixture.labelled(fixture, tmp_path / "labels", passing=False)
    count = len(labels)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=count, SCENARIO="Offline", DEVICE="cpu", BATCH_SIZE=3)
    done = run(["make", "dlrm-v2"], env)
    assert done.returncode != 0, done.stdout + done.stderr
    line = expected_line(fixture["probs"], labels)
    assert line in done.stdout and "FAIL" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    assert_each_response_is_its_own(run_dir, fixture["probs"], labels)
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [
        line, f"hash={sha256(run_dir / 'mlperf_log_accuracy.json')}"]
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "FAIL" and result["status"] == "completed"
    assert result["metrics"] == {"AUC": float(line.split("=")[1].split("%")[0])}
    assert [t["threshold"] for t in result["targets"]] == pytest.approx([79.5069, 80.22969])
    assert result["samples"]["asked"] == result["samples"]["scored"] == count
    assert result["loadgen"]["model"] == "dlrm-v2"
    assert result["loadgen"]["summary"]["effective_scenario"] == "Offline"
    assert not any("not theirs" in n for n in result["notes"])

    # the accuracy command (the reference script's flags) prints the same line
    score = run([sys.executable, "-m", "harness", "accuracy", "dlrm-v2", "--mlperf-accuracy-file",
                 str(run_dir / "mlperf_log_accuracy.json")], env)
    assert score.returncode == 0, score.stderr
    assert score.stdout.splitlines()[-1] == line


def test_server_with_tables_in_two_processes_passes(fixture, tmp_path):
    """The table-wise engine (the fallback where torchrec does not load); torchrec's runs are in
    test_dlrm_v2_torchrec.py."""
    manifest, labels = dlrm_v2_fixture.labelled(fixture, tmp_path / "labels", passing=True)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=len(labels), SCENARIO="Server", DEVICE="cpu",
                      WORLD_SIZE=2, DLRM_ENGINE="tables")
    done = run(["bash", "scripts/eval_dlrm-v2.sh"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DLRM-v2 on 2 processes" in done.stdout and "DLRM-v2 engine: tables (DLRM_ENGINE=tables)" in done.stdout
    line = expected_line(fixture["probs"], labels)
    assert line.startswith("AUC=100.000%") and line in done.stdout
    run_dir = only_run_dir(tmp_path / "logs", "Server")
    assert_each_response_is_its_own(run_dir, fixture["probs"], labels)  # = the single-process predictions
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "PASS" and result["metrics"] == {"AUC": 100.0}
    assert result["loadgen"]["summary"]["effective_scenario"] == "Server"


def test_a_machine_too_small_stops_before_loading_with_the_numbers(fixture, tmp_path):
    env = harness_env(tmp_path, MANIFEST=fixture["manifest"], N_COUNT=4, DEVICE="cpu", DLRM_MEMORY_LIMIT="1M")
    done = run(["make", "dlrm-v2"], env)
    assert done.returncode != 0
    assert "DLRM-v2 needs 512." in done.stderr and "but DLRM_MEMORY_LIMIT is 1.0 MiB" in done.stderr
    assert "WORLD_SIZE=N DEVICE=cuda" in done.stderr
    assert not list((tmp_path / "logs").rglob("mlperf_log_accuracy.json"))


def test_missing_data_names_the_rclone_steps_and_checksums(tmp_path):
    done = run(["make", "dlrm-v2"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0
    for text in ("day_23_sparse_multi_hot.npz", "c46b7e31ec6f2f8768fa60bdfc0f6e40", "rclone config create mlc-inference",
                 "mlcommons-inference-wg-public/dlrm_preprocessed", "mlcommons-inference-wg-public/model_weights"):
        assert text in done.stderr
    assert not (tmp_path / "logs").exists()
