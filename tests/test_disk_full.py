"""A disk that fills up mid-run: a message saying what to do, result.json marked failed, nothing
half-written, finished samples kept; the same command resumes once there is space again.

The run's LOG_DIR is a small tmpfs mounted in a private mount namespace (unshare), so the test
fills a real file system without touching the machine's disks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURE_COUNT, ROOT, harness_env, labelled_manifest, run


def _can_mount_tmpfs(where) -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o",
                            "size=1m", "tmpfs", str(where)], capture_output=True)
    return probe.returncode == 0


def test_a_full_disk_marks_the_run_failed_keeps_samples_and_the_same_command_resumes(resnet_fixture, tmp_path):
    if not _can_mount_tmpfs(tmp_path):
        pytest.skip("mounting a tmpfs needs root (or user namespaces) and util-linux's unshare")
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=20)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=FIXTURE_COUNT, BATCH_SIZE=4, DEVICE="cpu",
                      BACKEND="disk_filling_backend:DiskFillingBackend", PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}",
                      KEEP=tmp_path / "kept")
    harness = f"{sys.executable} -m harness run resnet"
    # one namespace, three steps: fill the disk at the third batch; resume without space; free it, resume
    script = f"""
        mkdir -p "$LOG_DIR" && mount -t tmpfs -o size=4m tmpfs "$LOG_DIR"
        set +e
        FILL_DISK_AT=3 {harness} > "$KEEP.full.out" 2>&1; echo "$?" > "$KEEP.full.rc"
        cp -a "$LOG_DIR" "$KEEP.full"
        rm -f "$LOG_DIR/filler"
        {harness} > "$KEEP.again.out" 2>&1; echo "$?" > "$KEEP.again.rc"
        cp -a "$LOG_DIR" "$KEEP.again"
    """
    done = run(["unshare", "--mount", "--propagation", "private", "bash", "-euo", "pipefail", "-c", script], env)
    assert done.returncode == 0, done.stdout + done.stderr

    out = (tmp_path / "kept.full.out").read_text()
    assert (tmp_path / "kept.full.rc").read_text().strip() == "1", out
    assert "Traceback" not in out
    assert "no space left on the disk that holds" in out and "set LOG_DIR to a folder on a larger disk" in out
    (result_file,) = (tmp_path / "kept.full").rglob("result.json")
    run_dir = result_file.parent
    result = json.loads(result_file.read_text())  # complete JSON: written after the reserve was given back
    assert result["status"] == "failed" and result["verdict"] == "ERROR"
    assert "no space left" in result["error"] and result["finished"]
    assert not (run_dir / "accuracy.txt").exists()  # no verdict from a run that did not finish
    assert not list(run_dir.glob("*.tmp")) and not (run_dir / ".space_reserve").exists()
    assert "FAILED: no space left" in (run_dir / "console.log").read_text()

    again = (tmp_path / "kept.again.out").read_text()
    assert (tmp_path / "kept.again.rc").read_text().strip() == "0", again
    assert "resuming: 8 sample(s) finished earlier are reused" in again  # the two batches before the disk filled
    assert "accuracy=83.333%, good=20, total=24" in again
    finished = [json.loads(p.read_text()) for p in (tmp_path / "kept.again").rglob("result.json")]
    assert sorted(r["status"] for r in finished) == ["completed", "failed"]
    assert not list((tmp_path / "kept.again").rglob(".space_reserve"))  # a finished run gives its reserve back
