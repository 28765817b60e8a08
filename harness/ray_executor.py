"""EXECUTOR=ray: each shard of SHARDS=N runs as a Ray task on some node of a cluster, then one merge.

The driver (``python -m harness ray-run``, which scripts/eval.sh starts in the Ray environment)
asks Ray for one task per shard with one CPU and GPUS_PER_SHARD GPUs (Ray sets the task's
CUDA_VISIBLE_DEVICES). On its node a task builds or reuses the benchmark's environment as
``make <name>`` does and runs ``harness run`` there with SHARDS/SHARD and the head's settings; its
lines reach the head prefixed with the shard. Every node holds the checkout at the same path. The
head reads a shard's run directory where it was written when LOG_DIR is shared storage; otherwise
the task sends the run directory's files back. Ray retries a task whose worker or node died; with
LOG_DIR shared the retry resumes from the shard's resume store. Only this module imports ray.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from . import config as run_config
from .errors import HarnessError, UsageError
from .executor_settings import executor_settings
from .registry import ROOT

MAX_RETRIES = 3  # a worker or node that died; a shard that fails by itself (exit != 0) is not retried
CONNECT_TIMEOUT_S = 60  # ray.init retries a silent address for minutes; a wrong RAY_ADDRESS must not hang
NODE_OWNED = ("CUDA_VISIBLE_DEVICES", "HOSTNAME", "PWD", "OLDPWD", "SHLVL", "_", "EXECUTOR", "GPUS_PER_SHARD")
EXECUTOR_OWNED_FLAGS = ("shards", "shard", "device")  # set per shard; every other flag reaches each shard
TAIL_LINES = 20
UNREACHABLE = ("start it with `ray start --head` (the ray of `python -m harness ray-python`) and join the other "
               "nodes with `ray start --address=<head>:<port>`, or unset RAY_ADDRESS for a local Ray instance")


def run_on_ray(bench, python: str, flags: dict) -> int:
    """Run every shard as a Ray task, bring back what the head cannot read, merge with ``python``."""
    settings = executor_settings(bench, flags)
    config = run_config.resolve(bench, flags, {**os.environ, "SHARD": "0"})
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")  # every shard's lines, not one line "repeated 3x"
    if not sys.stdout.isatty():
        os.environ.setdefault("RAY_COLOR_PREFIX", "0")  # no colour codes in console logs and CI output
    try:
        import ray
    except ImportError:
        raise HarnessError(f"EXECUTOR=ray: {sys.executable} has no ray; run through `make {bench.make_name}` or "
                           "scripts/eval.sh, which use the Ray environment (`python -m harness ray-python`)") from None
    _connect(ray, settings.ray_address)
    try:
        _check_gpus(ray, settings.gpus_per_shard)
        Path(config.log_dir).mkdir(parents=True, exist_ok=True)
        probe = Path(config.log_dir) / f".ray-probe-{secrets.token_hex(6)}"  # seen by a task: LOG_DIR is shared
        probe.write_text("")
        try:
            results, failed = _run_tasks(ray, bench.make_name, settings, flags, probe)
        finally:
            probe.unlink(missing_ok=True)
    finally:
        ray.shutdown()
    if results is None:
        return 130
    if failed:  # the shards' own exit code when they agree (3: an artifact missing on a node), else 1
        codes = {results[i]["exit_code"] if i in results else 1 for i in failed}
        print("not merging: a shard failed; re-run the same command to resume (finished samples are kept where "
              "LOG_DIR is shared storage)")
        return codes.pop() if len(codes) == 1 else 1
    _bring_back(results)
    if settings.shards == 1:  # one shard is the whole run, judged by its own run
        return results[0]["exit_code"]
    record = {"name": "ray", "address": settings.ray_address or "local", "gpus_per_shard": settings.gpus_per_shard,
              "shards": {str(i): {k: r[k] for k in ("node_id", "node_ip", "hostname", "run_dir")}
                         for i, r in sorted(results.items())}}
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "executor.json").write_text(json.dumps(record))
        run_dirs = [results[i]["run_dir"] for i in sorted(results)]
        return subprocess.call([python, "-m", "harness", "merge", *run_dirs, "--executor",
                                str(Path(work) / "executor.json")], cwd=ROOT)


def _connect(ray, address: str | None) -> None:
    # the tasks import this module on their node, from the checkout at the same path
    runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(
        dict.fromkeys([str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]))}}
    common = dict(runtime_env=runtime_env, logging_level=logging.WARNING, log_to_driver=True)
    if address is None:  # "local": a new instance on this machine, never a stray cluster found running
        ray.init(address="local", include_dashboard=False, object_store_memory=256 * 1024 * 1024, **common)
        return
    if address != "auto":
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
        except OSError as exc:
            raise UsageError(f"cannot reach the Ray cluster at RAY_ADDRESS={address}: {exc.strerror or exc}; "
                             f"{UNREACHABLE}") from None
    connected = threading.Event()

    def give_up():
        if not connected.wait(CONNECT_TIMEOUT_S):
            print(f"error: cannot reach the Ray cluster at RAY_ADDRESS={address}: no Ray answered within "
                  f"{CONNECT_TIMEOUT_S} s (is it the head's GCS port?); {UNREACHABLE}", file=sys.stderr, flush=True)
            os._exit(2)

    threading.Thread(target=give_up, daemon=True).start()
    try:
        ray.init(address=address, **common)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        if "Authentication" in f"{exc} {exc.__cause__}":  # Ray says so only in the cause's traceback text
            raise UsageError(f"the Ray cluster at RAY_ADDRESS={address} refused this command's token: it uses "
                             "token authentication, so set RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN or "
                             "~/.ray/auth_token) here as on its nodes") from None
        raise UsageError(f"cannot reach the Ray cluster at RAY_ADDRESS={address}: {exc}; {UNREACHABLE}") from None
    finally:
        connected.set()


def _check_gpus(ray, wanted: int) -> None:
    """A task asking more GPUs than any node has would wait forever: refuse it now."""
    largest = max((int(n["Resources"].get("GPU", 0)) for n in ray.nodes() if n["Alive"]), default=0)
    if wanted > largest:
        raise UsageError(f"GPUS_PER_SHARD={wanted} is not valid: no node of the Ray cluster has {wanted} GPUs (the "
                         f"most on one node: {largest}); a shard runs on one node, so ask for {largest} or fewer")


def _run_tasks(ray, name: str, settings, flags: dict, probe: Path):
    """``({shard: result}, [failed shards])``, or ``(None, [])`` when interrupted (every task cancelled)."""
    forwarded = [arg for key, value in flags.items() if value is not None and key not in EXECUTOR_OWNED_FLAGS
                 for arg in ("--" + key.replace("_", "-"), str(value))]
    job = {"benchmark": name, "shards": settings.shards, "env": dict(os.environ), "flags": forwarded,
           "root": str(ROOT), "probe": str(probe), "device": "cuda" if settings.gpus_per_shard else "cpu"}
    task = ray.remote(run_shard)
    pending = {task.options(num_cpus=1, num_gpus=settings.gpus_per_shard, max_retries=MAX_RETRIES,
                            name=f"{name} shard {i} of {settings.shards}").remote({**job, "shard": i}): i
               for i in range(settings.shards)}
    have, nodes = ray.cluster_resources(), sum(n["Alive"] for n in ray.nodes())
    print(f"=== {settings.shards} shard(s) of {name} as Ray tasks, {settings.gpus_per_shard} GPU(s) each, on "
          f"{settings.ray_address or 'a local Ray instance'} ({nodes} node(s), {have.get('CPU', 0):g} CPU(s), "
          f"{have.get('GPU', 0):g} GPU(s))", flush=True)
    results, failed = {}, []
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)  # a timeout: Ctrl-C is heard
            for ref in done:
                i = pending.pop(ref)
                try:
                    results[i] = result = ray.get(ref)
                except ray.exceptions.RayError as exc:  # the worker or node died more often than Ray retries
                    print(f"=== shard {i}: lost after {MAX_RETRIES} retries: {str(exc).strip().splitlines()[0]}")
                    failed.append(i)
                    continue
                status = "ok" if result["exit_code"] == 0 else f"exit {result['exit_code']}"
                print(f"=== shard {i} on {result['hostname']} ({result['node_ip']}, node {result['node_id'][:12]}): "
                      f"{status} ({result['run_dir'] or 'no run directory'})", flush=True)
                if result["exit_code"] != 0 and not (settings.shards == 1 and result["run_dir"]):  # one: its verdict
                    print("\n".join(result["tail"]))
                    failed.append(i)
    except KeyboardInterrupt:
        _cancel(ray, list(pending))
        return None, []
    return results, failed


def _cancel(ray, refs: list) -> None:
    """As Ctrl-C on local shards: each shard finishes the batch in progress, keeps it and marks its run
    interrupted. A second Ctrl-C kills them at once (their workers die, the shards with them)."""
    for ref in refs:
        ray.cancel(ref)
    print("=== stopping: each shard ends its batch in progress (Ctrl-C again stops them at once)", flush=True)
    try:
        while refs:
            refs = ray.wait(refs, num_returns=len(refs), timeout=1.0)[1]
    except KeyboardInterrupt:
        for ref in refs:
            ray.cancel(ref, force=True)
    print("=== interrupted: every shard stopped; run the same command again to resume", flush=True)


def _bring_back(results: dict) -> None:
    for i, result in sorted(results.items()):
        if result["files"]:  # the node wrote it where the head cannot see: LOG_DIR is not shared
            run_dir = Path(result["run_dir"])
            run_dir.mkdir(parents=True, exist_ok=True)
            for file_name, data in result["files"].items():
                (run_dir / file_name).write_bytes(data)
            print(f"== shard {i}: LOG_DIR is not shared with {result['hostname']}: its run directory was copied "
                  f"here ({run_dir}); a retried shard there would compute its samples again")


# ---- on the node, inside the Ray task ----

def run_shard(job: dict) -> dict:
    """One shard on this node: its environment built or reused, ``harness run`` with SHARDS/SHARD."""
    import ray

    shard, name, root = job["shard"], job["benchmark"], job["root"]
    where = {"node_id": ray.get_runtime_context().get_node_id(), "node_ip": ray.util.get_node_ip_address(),
             "hostname": socket.gethostname()}
    env = {k: v for k, v in job["env"].items() if k not in NODE_OWNED and not k.startswith("RAY_")}
    if os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
        env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]  # the GPUs Ray gave this task
    env.update(SHARDS=str(job["shards"]), SHARD=str(shard), DEVICE=job["device"], PYTHONUNBUFFERED="1")
    prefix, tail = f"[shard {shard}] ", deque(maxlen=TAIL_LINES)
    base = env.get("PYTHON") or "python3"  # the interpreter make builds environments with
    code = _environment(base, name, env, root, prefix, tail)
    run_dir = None
    if code == 0:
        found = subprocess.run([base, "-m", "harness", "env", name, "--python-path"], env=env, cwd=root,
                               capture_output=True, text=True)
        code, python = found.returncode, found.stdout.strip()
        tail.extend(found.stderr.splitlines())
    if code == 0:
        with tempfile.TemporaryDirectory() as work:
            run_dir_file = Path(work) / "run_dir"
            code = _stream([python, "-m", "harness", "run", name, "--run-dir-file", str(run_dir_file), *job["flags"]],
                           env, root, prefix, tail)
            run_dir = run_dir_file.read_text().strip() if run_dir_file.is_file() else None
    shared = Path(job["probe"]).is_file()
    files = {p.name: p.read_bytes() for p in Path(run_dir).iterdir() if p.is_file()} if run_dir and not shared else {}
    return {**where, "shard": shard, "exit_code": code, "run_dir": run_dir, "tail": list(tail), "files": files}


def _environment(base: str, name: str, env: dict, root: str, prefix: str, tail: deque) -> int:
    """``make <name>``'s first step on this node (and the DVC tools for DATA_SOURCE=dvc), one shard at a
    time: the shards of a node share the environment folder."""
    import fcntl

    env_dir = Path(env.get("ENV_DIR") or Path(root) / ".envs")
    env_dir.mkdir(parents=True, exist_ok=True)
    with open(env_dir / ".ray-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        code = _stream([base, "-m", "harness", "env", name], env, root, prefix, tail)
        if code == 0 and (env.get("DATA_SOURCE") or "").strip().lower() == "dvc":  # as scripts/eval.sh
            tools = subprocess.run([base, "-m", "harness", "tools-python"], env=env, cwd=root, capture_output=True,
                                   text=True)
            code = tools.returncode
            tail.extend(tools.stderr.splitlines()[-TAIL_LINES:])
            env["PATH"] = f"{Path(tools.stdout.strip()).parent}{os.pathsep}{env.get('PATH', '')}"
    return code


def _stream(cmd: list[str], env: dict, cwd: str, prefix: str, tail: deque) -> int:
    """Run ``cmd``; each line goes to this worker's stdout (Ray forwards it to the head) with ``prefix``.
    The lines are copied by a thread, and this one polls: Ray's cancel (the head's Ctrl-C) arrives as
    KeyboardInterrupt between two Python steps, never inside a blocking read."""
    child = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace", bufsize=1, preexec_fn=_dies_with(os.getpid()))

    def copy():
        for line in child.stdout:
            print(prefix + line, end="", flush=True)
            tail.append(line.rstrip("\n"))

    copier = threading.Thread(target=copy, daemon=True)
    copier.start()
    try:
        while child.poll() is None:
            time.sleep(0.2)
    except KeyboardInterrupt:  # as Ctrl-C on a local run: the batch in progress ends, the run is marked interrupted
        child.send_signal(signal.SIGTERM)
        child.wait()
        raise
    finally:
        copier.join(timeout=5)
    return child.returncode


def _dies_with(parent: int):
    """A child that is killed when this worker dies: a retried task must not race an orphan shard on
    the same resume store. ``prctl`` is looked up before the fork (nothing is imported after it)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec():
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the worker died before the line above took effect
            os._exit(1)
    return preexec
