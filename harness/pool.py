"""The one way the harness starts helper processes.

Forking is instant and the helpers inherit every import, but a process that has loaded torch or
LoadGen runs threads whose locks would be copied mid-use into the child (a hang or a crash at
random). So: fork while neither is loaded, spawn once either is. Code that can only work in
forked helpers (it shares a large object through a global) asks ``fork_is_safe()`` and runs in
one process otherwise.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context

THREADED_MODULES = ("torch", "mlperf_loadgen")


def fork_is_safe() -> bool:
    return "fork" in get_all_start_methods() and not any(m in sys.modules for m in THREADED_MODULES)


def context():
    """The multiprocessing context helpers start with (see the module docstring)."""
    return get_context("fork" if fork_is_safe() else "spawn")


def executor(workers: int, initializer=None, initargs=()) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=context(), initializer=initializer, initargs=initargs)


def map_in_order(func, jobs: list, workers: int, chunksize: int = 1) -> list:
    """``[func(job) for job in jobs]``, over ``workers`` processes when there are several jobs."""
    if workers <= 1 or len(jobs) < 2:
        return [func(job) for job in jobs]
    with executor(min(workers, len(jobs))) as pool:
        return list(pool.map(func, jobs, chunksize=chunksize))
