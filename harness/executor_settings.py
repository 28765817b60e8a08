"""EXECUTOR, GPUS_PER_SHARD and RAY_ADDRESS: where the shards of a run execute, validated at the edge
(standard library only: scripts/eval.sh checks them before any environment exists)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .config import _bad, _int, _source, resolve
from .declaration import Benchmark

EXECUTORS = ("local", "ray")
RAY_ADDRESS_FORM = re.compile(r"auto|(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):([0-9]{1,5})")


@dataclass(frozen=True)
class ExecutorSettings:
    executor: str  # local: this machine (GPUS, scripts/shards.sh) | ray: one Ray task per shard
    shards: int  # EXECUTOR=ray: how many Ray tasks
    gpus_per_shard: int  # EXECUTOR=ray: the GPUs each task asks Ray for; 0: CPU shards
    ray_address: str | None  # EXECUTOR=ray: an existing cluster (host:port or auto); None: a local Ray instance


def executor_settings(bench: Benchmark, flags: dict | None = None, env: dict | None = None) -> ExecutorSettings:
    """EXECUTOR, GPUS_PER_SHARD and RAY_ADDRESS; with EXECUTOR=ray also every run setting, checked as
    shard 0 would see them (the executor assigns SHARD, and Ray assigns the GPUs, so neither SHARD
    nor GPUS may be given)."""
    flags = flags or {}
    env = dict(os.environ) if env is None else env
    raw = env.get("EXECUTOR", "")
    executor = raw.strip().lower() or "local"
    if executor not in EXECUTORS:
        raise _bad("EXECUTOR", raw, "use local (shards on this machine: GPUS=...) or ray (one Ray task per "
                                    "shard: SHARDS=N, on RAY_ADDRESS or a local Ray instance)")
    raw = env.get("GPUS_PER_SHARD", "").strip()
    gpus_per_shard = 0 if not raw else _int("GPUS_PER_SHARD", raw, 0, 1024)
    if executor == "local":
        if raw:
            raise _bad("GPUS_PER_SHARD", raw, "it is the GPUs of each Ray task and needs EXECUTOR=ray; shards on "
                                              "this machine take their GPUs from GPUS (e.g. GPUS=0-3,4-7)")
        return ExecutorSettings("local", 1, 0, None)
    if env.get("GPUS", "").strip():
        raise _bad("GPUS", env["GPUS"], "with EXECUTOR=ray, Ray assigns each shard its GPUs: leave GPUS unset and "
                                        "give SHARDS=N (one Ray task per shard) and GPUS_PER_SHARD=k (the GPUs "
                                        "each shard asks for; 0, the default, runs CPU shards)")
    shard, shard_name = _source("shard", flags, env)
    if shard is not None:
        raise _bad(shard_name, shard, "with EXECUTOR=ray the executor gives every shard its SHARD: give SHARDS=N "
                                      "only")
    address = env.get("RAY_ADDRESS", "").strip() or None
    if address is not None and not (RAY_ADDRESS_FORM.fullmatch(address) and _port_ok(address)):
        raise _bad("RAY_ADDRESS", env["RAY_ADDRESS"],
                   "give the head of a running Ray cluster as host:port (`ray start --head` prints it; port 6379 "
                   "unless chosen), auto (the cluster `ray start` started on this machine), or leave it unset "
                   "for a local Ray instance; Ray Client addresses (ray://) are not supported: run the command "
                   "on a node of the cluster")
    config = resolve(bench, flags, {**env, "SHARD": "0"})  # every other setting, as shard 0 sees it
    return ExecutorSettings("ray", config.shards, gpus_per_shard, address)


def _port_ok(address: str) -> bool:
    return address == "auto" or 1 <= int(address.rpartition(":")[2]) <= 65535
