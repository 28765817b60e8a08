"""WORLD_SIZE ranks of one torch.distributed group: rank 0 is the harness process, ranks 1..N-1 are
processes it spawns (torch.multiprocessing, "spawn").

Both table engines use this: the harness process must stay rank 0, because LoadGen and the dense
layers live there, so the group cannot be started from outside by torchrun (which would start N
copies of the whole harness). Starting fails fast: a rank that dies before it joins, or while it
loads its tables, stops the run at once with its traceback, not after the group's timeout.
"""

from __future__ import annotations

import atexit
import queue
import socket
import threading
import traceback
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from harness.errors import HarnessError

STOP, BATCH = 0, 1  # the first word of the header rank 0 broadcasts before each batch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backend_for(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


def join(rank: int, world: int, port: int, device: torch.device, timeout: timedelta) -> None:
    """Join the group as ``rank``; with NCCL each rank first binds its own GPU."""
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend_for(device), init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=timeout)


def report_ready(status, rank: int, load) -> object | None:
    """In a spawned rank: ``load()``, then tell rank 0 it is ready (or why it failed)."""
    try:
        value = load()
    except BaseException:  # noqa: BLE001 - rank 0 must hear why
        status.put(("error", rank, traceback.format_exc()))
        return None
    status.put(("ready", rank, ""))
    return value


class RankGroup:
    """Spawns ranks 1..N-1 running ``worker_main(rank, world, port, status, *args)``, joins the
    group as rank 0, and stops them again. Subclasses load their share in ``load_local`` and send
    ``STOP`` through ``stop_workers``."""

    worker_main = None  # a staticmethod of the subclass (a picklable module-level function)
    process_name = "dlrm-rank"

    def start(self, world: int, device: torch.device, args_of_rank, timeout: timedelta) -> None:
        """``device``: rank 0's (its type picks NCCL or gloo); ``args_of_rank(r)``: rank r's arguments."""
        self.world, self.device, self.open = world, device, False
        if device.type == "cuda":  # torchrec's lookups in predict run in this thread, on rank 0's GPU
            torch.cuda.set_device(device)
        port = free_port()
        ctx = mp.get_context("spawn")
        self.status = ctx.Queue()
        self.workers = [ctx.Process(target=self.worker_main, daemon=True, name=f"{self.process_name}-{r}",
                                    args=(r, world, port, self.status, *args_of_rank(r)))
                        for r in range(1, world)]
        for worker in self.workers:
            worker.start()
        self._watching(lambda: join(0, world, port, device, timeout), "before joining the process group")
        self.open = True
        try:  # loading may wait in collectives (torchrec): a rank that dies there must not hang rank 0
            self._watching(self.load_local, "while loading")
            self._wait_ready(self.status)
        except BaseException:
            self.abort()
            raise
        atexit.register(self.close)

    def load_local(self) -> None:
        raise NotImplementedError

    def _watching(self, step, stage: str) -> None:
        """Run ``step`` in a thread while watching the workers: one that dies (a failed import, an
        out-of-memory kill) stops the start now, not after the group's timeout."""
        failure: list[BaseException] = []

        def run():
            try:
                if self.device.type == "cuda":  # the current GPU is per thread
                    torch.cuda.set_device(self.device)
                step()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                failure.append(exc)

        thread = threading.Thread(target=run, name="dlrm-start", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(timeout=0.5)
            dead = [w for w in self.workers if not w.is_alive()]
            if dead and thread.is_alive():
                for worker in self.workers:
                    worker.terminate()
                codes = ", ".join(f"{w.name} exit code {w.exitcode}" for w in dead)
                raise HarnessError(f"table worker(s) ended {stage} ({codes}){self._reported_errors()}")
        if failure:
            raise failure[0]

    def _reported_errors(self) -> str:
        texts = []
        while True:
            try:
                state, rank, text = self.status.get(timeout=0.5)
            except queue.Empty:
                break
            if state == "error":
                texts.append(f"\nrank {rank}:\n{text}")
        return "".join(texts) if texts else "; their error, if any, is printed above"

    def _wait_ready(self, status) -> None:
        pending = set(range(1, self.world))
        while pending:
            try:
                state, rank, text = status.get(timeout=1.0)
            except queue.Empty:
                dead = [w.name for w in self.workers if not w.is_alive()]
                if dead:
                    raise HarnessError(f"table worker(s) {', '.join(dead)} died while loading") from None
                continue
            if state == "error":
                raise HarnessError(f"table worker {rank} failed while loading:\n{text}")
            pending.discard(rank)

    def stop_workers(self) -> None:
        """Tell the other ranks to finish (a collective they are waiting in)."""

    def abort(self) -> None:
        """After a failed start: stop the workers without talking to them."""
        self.open = False
        for worker in self.workers:
            worker.terminate()
            worker.join(timeout=10)
        dist.destroy_process_group()

    def close(self) -> None:
        """Let the workers finish and leave the group; once (also registered atexit)."""
        if not self.open:
            return
        self.open = False
        try:
            self.stop_workers()
            for worker in self.workers:
                worker.join(timeout=30)
        finally:
            dist.destroy_process_group()
