"""A run killed mid-way resumes: only unfinished samples are computed, and the result is identical."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from conftest import FIXTURE_COUNT, ROOT, harness_env, labelled_manifest, run


def log_by_index(log_dir):
    (result,) = list(log_dir.rglob("result.json"))
    entries = json.loads((result.parent / "mlperf_log_accuracy.json").read_text())
    return {e["qsl_idx"]: e["data"] for e in entries}, json.loads(result.read_text())


def test_a_killed_run_resumes_and_matches_an_uninterrupted_one(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=20)
    common = dict(MANIFEST=manifest, N_COUNT=FIXTURE_COUNT, BATCH_SIZE=4, DEVICE="cpu",
                  PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}", SLOW_BACKEND_TRACE=tmp_path / "trace")
    plain = run([sys.executable, "-m", "harness", "run", "resnet"],
                harness_env(tmp_path / "plain", RESUME=0, **common))
    expected, _ = log_by_index(tmp_path / "plain" / "logs")

    env = harness_env(tmp_path / "resumed", BACKEND="slow_backend:SlowBackend", **common)
    cmd = [sys.executable, "-m", "harness", "run", "resnet"]
    victim = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and victim.poll() is None:
        trace = tmp_path / "trace"
        if trace.exists() and len(trace.read_text().split()) >= 3:
            break
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)  # no clean-up of any kind
    victim.wait()
    batches_before = len((tmp_path / "trace").read_text().split())
    assert 3 <= batches_before < FIXTURE_COUNT // 4

    again = run(cmd, env)
    assert again.returncode == plain.returncode, again.stdout + again.stderr
    assert "resuming:" in again.stdout
    got, result = log_by_index_latest(tmp_path / "resumed" / "logs")
    assert got == expected  # byte for byte, sample for sample
    reused = result["resume"]["reused"]
    # the batch being computed at the kill is lost; every one announced before it was stored
    assert reused >= (batches_before - 1) * 4 and reused + result["resume"]["computed"] == FIXTURE_COUNT
    computed_batches = len((tmp_path / "trace").read_text().split()) - batches_before
    assert computed_batches * 4 >= result["resume"]["computed"] > 0
    assert "accuracy=83.333%, good=20, total=24" in again.stdout


def log_by_index_latest(log_dir):
    results = sorted(log_dir.rglob("result.json"), key=lambda p: json.loads(p.read_text())["started"])
    final = results[-1]
    entries = json.loads((final.parent / "mlperf_log_accuracy.json").read_text())
    return {e["qsl_idx"]: e["data"] for e in entries}, json.loads(final.read_text())
