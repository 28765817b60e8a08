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


def test_ctrl_c_stops_promptly_keeps_finished_samples_and_the_rerun_resumes(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=20)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=FIXTURE_COUNT, BATCH_SIZE=4, DEVICE="cpu",
                      PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}", SLOW_BACKEND_TRACE=tmp_path / "trace",
                      BACKEND="slow_backend:SlowBackend", SLOW_BACKEND_SLEEP=1.0)
    cmd = [sys.executable, "-m", "harness", "run", "resnet"]
    for stop in (signal.SIGINT, signal.SIGTERM):
        victim = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        trace = tmp_path / "trace"
        before = len(trace.read_text().split()) if trace.exists() else 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and victim.poll() is None:
            if trace.exists() and len(trace.read_text().split()) >= before + 2:
                break
            time.sleep(0.05)
        at_signal = len(trace.read_text().split())
        victim.send_signal(stop)
        out, _ = victim.communicate(timeout=60)
        assert victim.returncode == 130, out
        # promptly: at most the batch in progress finishes, no new one starts (24 samples = 6 batches)
        assert len(trace.read_text().split()) <= at_signal + 1
        assert f"{stop.name}: stopping after the batch in progress" in out
        interrupted = [json.loads(p.read_text()) for p in (tmp_path / "logs").rglob("result.json")]
        assert interrupted[-1]["status"] in ("interrupted",) and all(r["status"] == "interrupted" for r in interrupted)
    done = run(cmd, dict(env, SLOW_BACKEND_SLEEP="0"))
    assert done.returncode == 0, done.stdout + done.stderr
    _, result = log_by_index_latest(tmp_path / "logs")
    announced = len((tmp_path / "trace").read_text().split())
    assert result["resume"]["reused"] >= 4 * 2 and result["resume"]["reused"] + result["resume"]["computed"] == 24
    assert result["resume"]["computed"] <= 4 * (announced - 4)  # nothing finished before was computed again
    assert "accuracy=83.333%, good=20, total=24" in done.stdout


def test_ctrl_c_on_a_gpus_run_stops_every_shard(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=20)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=FIXTURE_COUNT, BATCH_SIZE=2, GPUS="cpu,cpu",
                      PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}", SLOW_BACKEND_TRACE=tmp_path / "trace",
                      BACKEND="slow_backend:SlowBackend", SLOW_BACKEND_SLEEP=1.0)
    shell = subprocess.Popen(["bash", str(ROOT / "scripts" / "eval.sh"), "resnet"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and shell.poll() is None:
        if (tmp_path / "trace").exists() and len((tmp_path / "trace").read_text().split()) >= 2:
            break
        time.sleep(0.05)
    shell.send_signal(signal.SIGINT)
    out, _ = shell.communicate(timeout=60)
    assert shell.returncode == 130, out
    assert "every shard stopped" in out
    results = [json.loads(p.read_text()) for p in (tmp_path / "logs").rglob("result.json")]
    assert len(results) == 2 and all(r["status"] == "interrupted" for r in results)


def test_a_finished_runs_samples_are_not_reused_by_default_only_with_resume_1(resnet_fixture, tmp_path):
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=20)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=8, BATCH_SIZE=4, DEVICE="cpu")
    cmd = [sys.executable, "-m", "harness", "run", "resnet"]
    assert run(cmd, env).returncode == 0
    again = run(cmd, env)
    assert again.returncode == 0 and "computing afresh (RESUME=1 would reuse them)" in again.stdout
    assert log_by_index_latest(tmp_path / "logs")[1]["resume"] == {
        "store": ANY_STORE, "stored_before": 0, "policy": "interrupted", "reused": 0, "computed": 8}
    wide = run(cmd, dict(env, RESUME="1"))
    assert wide.returncode == 0 and "resuming: 8 sample(s)" in wide.stdout
    assert log_by_index_latest(tmp_path / "logs")[1]["resume"]["reused"] == 8


class _AnyStore:
    def __eq__(self, other):
        return str(other).endswith(".sqlite")


ANY_STORE = _AnyStore()
