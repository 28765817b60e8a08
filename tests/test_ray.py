"""EXECUTOR=ray on a real Ray cluster on this machine (a head with 2 CPUs and a worker node with 1):
shards as Ray tasks merge to the log of one run, a killed worker's shard is retried and resumes,
and bad settings stop with exit 2 before anything runs."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import FIXTURE_COUNT, ROOT, harness_env, labelled_manifest, run

RAY = Path(sys.executable).parent / "ray"  # the project environment pins ray (scripts/envs/ray.txt): no skip
COMMON = dict(N_COUNT=FIXTURE_COUNT, BATCH_SIZE=2, WORKERS=1, PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}")
LINE = "accuracy=87.500%, good=21, total=24"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_processes(temp_dir: Path) -> set[int]:
    """Every process of the cluster under ``temp_dir``: Ray's daemons name it on their command line,
    and the workers and their shards descend from them."""
    parents, mine = {}, set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            state, parent = (proc / "stat").read_text().rpartition(")")[2].split()[:2]
            if state == "Z":  # already dead, waiting for its parent to read its exit status
                continue
            parents[int(proc.name)] = int(parent)
            if f"{temp_dir}/".encode() in (proc / "cmdline").read_bytes() and int(proc.name) != os.getpid():
                mine.add(int(proc.name))
        except (OSError, ValueError):
            continue
    grown = True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in mine} - mine
        mine |= children
        grown = bool(children)
    return mine


def stop_cluster(temp_dir: Path) -> None:
    """Only this cluster's processes, by id (`ray stop` would stop every Ray on the machine); killed
    outright: a test cluster keeps nothing worth a clean shutdown."""
    deadline = time.monotonic() + 30
    while (left := cluster_processes(temp_dir)) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


def ray_start(env: dict, *args: str) -> None:
    done = subprocess.run([str(RAY), "start", "--node-ip-address", "127.0.0.1", *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"ray start {' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def ray_cluster():
    """``(address, settings)``: the head's address, and the token settings every process that joins or
    drives the cluster needs (Ray's token authentication, with a token of this cluster only)."""
    # a short folder: Ray's unix sockets live under it, and a socket path may have at most 107 bytes
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAY_")}, **auth}
    small = ["--object-store-memory", "100000000", "--disable-usage-stats"]
    try:
        ray_start(env, "--head", "--num-cpus", "2", "--port", "0", "--include-dashboard", "false",
                  "--dashboard-port", str(free_port()), "--temp-dir", str(temp / "head"), *small)
        port = (temp / "head" / "ray_current_cluster").read_text().strip().rpartition(":")[2]
        address = f"127.0.0.1:{port}"
        ray_start(env, "--address", address, "--num-cpus", "1", "--temp-dir", str(temp / "worker"), *small)
        yield address, auth
    finally:
        stop_cluster(temp)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def one_run(resnet_fixture, tmp_path_factory):
    """The unsharded run every Ray run must equal: its log by sample index and its accuracy line."""
    where = tmp_path_factory.mktemp("one")
    manifest = labelled_manifest(resnet_fixture, where / "labels", correct=21)
    done = run([sys.executable, "-m", "harness", "run", "resnet"],
               harness_env(where, MANIFEST=manifest, DEVICE="cpu", RESUME=0, **COMMON))
    assert done.returncode == 0 and LINE in done.stdout, done.stdout + done.stderr
    return manifest, logs_by_index(where / "logs")[0][1]


def logs_by_index(log_dir: Path) -> list[tuple[dict, dict]]:
    """``(result, {qsl_idx: data})`` of every run under ``log_dir``, oldest first."""
    found = []
    for result_file in log_dir.rglob("result.json"):
        result = json.loads(result_file.read_text())
        log = result_file.parent / "mlperf_log_accuracy.json"
        entries = json.loads(log.read_text()) if result["status"] == "completed" else []  # a killed run's is cut
        found.append((result, {e["qsl_idx"]: e["data"] for e in entries}))
    return sorted(found, key=lambda item: item[0]["started"])


def merged_of(log_dir: Path) -> tuple[dict, dict]:
    (merged,) = [(r, log) for r, log in logs_by_index(log_dir) if "merged_from" in r]
    return merged


def test_three_cpu_shards_as_ray_tasks_merge_to_the_log_of_one_run(ray_cluster, one_run, tmp_path):
    manifest, expected = one_run
    address, auth = ray_cluster
    env = harness_env(tmp_path, MANIFEST=manifest, RESUME=0, EXECUTOR="ray", SHARDS=3, RAY_ADDRESS=address,
                      **auth, **COMMON)
    done = run(["make", "resnet"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert LINE in done.stdout and done.stdout.count("=== shard ") == 3
    assert all(f"[shard {i}] == run directory:" in done.stdout for i in range(3))  # each shard's lines, on the head
    result, merged = merged_of(tmp_path / "logs")
    assert merged == expected and result["verdict_on_slice"] == "PASS"
    executor = result["executor"]
    assert executor["name"] == "ray" and sorted(executor["shards"]) == ["0", "1", "2"]
    for shard in executor["shards"].values():
        assert len(shard["node_id"]) == 56 and shard["node_ip"] and shard["hostname"] == socket.gethostname()
        assert shard["run_dir"] in result["merged_from"]


def test_a_killed_worker_is_retried_and_its_shard_resumes(ray_cluster, one_run, tmp_path):
    manifest, expected = one_run
    address, auth = ray_cluster
    env = harness_env(tmp_path, MANIFEST=manifest, EXECUTOR="ray", SHARDS=3, RAY_ADDRESS=address,
                      BACKEND="slow_backend:SlowBackend", SLOW_BACKEND_SLEEP=1.0,
                      SLOW_BACKEND_TRACE=tmp_path / "trace", **auth, **COMMON)
    driver = subprocess.Popen(["bash", str(ROOT / "scripts" / "eval.sh"), "resnet"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        shard, worker = shard_one_after_a_stored_batch(tmp_path / "logs")
        os.kill(worker, signal.SIGKILL)  # as if its node died: no clean-up of any kind
        out, _ = driver.communicate(timeout=300)
    finally:
        driver.kill()
    assert driver.returncode == 0, out
    assert not Path(f"/proc/{shard}").exists()  # the shard died with its worker: no orphan beside the retry
    result, merged = merged_of(tmp_path / "logs")
    assert merged == expected and LINE in out
    attempts = [r for r, _ in logs_by_index(tmp_path / "logs") if r.get("shard", {}).get("index") == 1]
    assert len(attempts) == 2 and attempts[0]["status"] == "running"  # the killed one never finished
    retried = attempts[1]
    assert retried["status"] == "completed" and retried["run_dir"] == result["executor"]["shards"]["1"]["run_dir"]
    assert retried["resume"]["reused"] > 0 and retried["resume"]["reused"] + retried["resume"]["computed"] == 8


def shard_one_after_a_stored_batch(log_dir: Path, timeout: float = 120) -> tuple[int, int]:
    """``(pid of shard 1's harness run, pid of the Ray worker running it)`` once shard 1 stored a batch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stores = list((log_dir / "resnet" / "cache").glob("samples-*-slice8-16.sqlite"))
        if stores and stored(stores[0]) >= 2:
            for proc in Path("/proc").iterdir():
                try:
                    environ = (proc / "environ").read_bytes().split(b"\0")
                    cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"SHARD=1" in environ and f"LOG_DIR={log_dir}".encode() in environ and b"run" in cmdline:
                    parent = int((proc / "stat").read_text().rpartition(")")[2].split()[1])
                    assert Path(f"/proc/{parent}/cmdline").read_bytes().startswith(b"ray::")
                    return int(proc.name), parent
        time.sleep(0.1)
    raise AssertionError("shard 1 stored no batch in time")


def stored(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


@pytest.mark.parametrize("settings,message", [
    ({"RAY_ADDRESS": "127.0.0.1:1"}, "cannot reach the Ray cluster at RAY_ADDRESS=127.0.0.1:1: "),
    ({"EXECUTOR": "bogus"}, "EXECUTOR='bogus' is not valid: use local"),
    ({"GPUS": "0,1"}, "GPUS='0,1' is not valid: with EXECUTOR=ray, Ray assigns each shard its GPUs"),
    ({"SHARD": "1"}, "SHARD='1' is not valid: with EXECUTOR=ray the executor gives every shard its SHARD"),
    ({"EXECUTOR": "local", "GPUS_PER_SHARD": "2"}, "GPUS_PER_SHARD='2' is not valid: it is the GPUs of each Ray task"),
])
def test_bad_ray_settings_stop_with_exit_2(tmp_path, settings, message):
    env = harness_env(tmp_path, **{**COMMON, "EXECUTOR": "ray", "SHARDS": 3, **settings})
    done = run(["bash", str(ROOT / "scripts" / "eval.sh"), "resnet"], env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_more_gpus_per_shard_than_a_node_has_stop_with_exit_2(ray_cluster, tmp_path):
    address, auth = ray_cluster
    env = harness_env(tmp_path, **{**COMMON, **auth, "EXECUTOR": "ray", "SHARDS": 2, "GPUS_PER_SHARD": 1,
                                   "RAY_ADDRESS": address})
    done = run(["bash", str(ROOT / "scripts" / "eval.sh"), "resnet"], env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "GPUS_PER_SHARD=1 is not valid: no node of the Ray cluster has 1 GPUs (the most on one node: 0)" \
        in done.stderr
    assert not (tmp_path / "logs").exists()  # refused before any shard ran


def test_a_run_directory_the_head_cannot_see_is_written_from_the_files_sent_back(tmp_path):
    from harness import ray_executor

    run_dir = tmp_path / "logs" / "resnet" / "Offline" / "float32" / "20261206T000000Z-abcdef"
    files = {"result.json": b'{"status": "completed"}', "mlperf_log_accuracy.json": b"[\n]\n",
             "accuracy.txt": b"hash=x\n"}
    ray_executor._bring_back({1: {"run_dir": str(run_dir), "files": files, "hostname": "node-7"}})
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == files
