"""Embedding tables spread table-wise over WORLD_SIZE processes with torch.distributed (gloo).

For when one device cannot hold the 97.4 GiB of tables: with ``WORLD_SIZE=N DEVICE=cuda`` each
of N processes keeps its share of the tables on its own GPU (cuda:0 .. cuda:N-1); with
``DEVICE=cpu`` the shares live in N processes of the same host (no memory saved, but the
lookups run in parallel). Rank 0 is the harness process: it also runs the dense layers, and per
batch it broadcasts the indices to every rank and receives each rank's pooled embeddings.

This is not torchrec's DistributedModelParallel (the reference's row-wise plan): tables are
whole per process, which changes nothing in the numbers (sum pooling per table is the same
wherever the table lives).
"""

from __future__ import annotations

import atexit
import socket
import traceback
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from harness.errors import HarnessError

from .criteo import MULTI_HOT_SIZES
from .model import build_tables, table_name

TIMEOUT = timedelta(hours=1)  # collectives wait this long (workers idle between queries)


def assign(table_bytes: list[int], world: int) -> list[list[int]]:
    """Tables per rank, largest first onto the least loaded rank; each list sorted."""
    load, plan = [0] * world, [[] for _ in range(world)]
    for k in sorted(range(len(table_bytes)), key=lambda k: -table_bytes[k]):
        rank = min(range(world), key=lambda r: load[r])
        plan[rank].append(k)
        load[rank] += table_bytes[k]
    return [sorted(p) for p in plan]


def rank_devices(device: torch.device, world: int) -> list[torch.device]:
    if device.type != "cuda":
        return [torch.device("cpu")] * world
    count = torch.cuda.device_count()
    if world > count:
        raise HarnessError(f"WORLD_SIZE={world} with DEVICE=cuda needs {world} GPUs; {count} are visible")
    return [torch.device(f"cuda:{r}") for r in range(world)]


def load_tables(reader, cfg, tables: list[int], device: torch.device):
    arch = build_tables(cfg, tables, device)
    for k in tables:
        reader.read_into(table_name(k), arch.embedding_bag_collection.embedding_bags[f"t_cat_{k}"].weight)
    return arch


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lookup(arch, values: torch.Tensor, rows: int, tables: list[int], device) -> torch.Tensor:
    """Pooled embeddings (rows, len(tables), dim) from the broadcast index buffer."""
    starts = [0]
    for size in MULTI_HOT_SIZES:
        starts.append(starts[-1] + rows * size)
    sparse = {k: values[starts[k]:starts[k + 1]].view(rows, MULTI_HOT_SIZES[k]).to(device, torch.int64)
              for k in tables}
    with torch.inference_mode():
        return arch(sparse)


def _worker(rank, world, port, folder, cfg, plan, device, status) -> None:
    from .snapshot import SnapshotReader

    try:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                                timeout=TIMEOUT)
        device = torch.device(device)
        arch = load_tables(SnapshotReader(folder), cfg, plan[rank], device)
        status.put(("ready", rank, ""))
    except BaseException:  # noqa: BLE001 - the harness process must hear why
        status.put(("error", rank, traceback.format_exc()))
        return
    per_row = sum(MULTI_HOT_SIZES)
    while True:
        header = torch.empty(2, dtype=torch.int64)
        dist.broadcast(header, 0)
        if int(header[0]) == 0:
            break
        rows = int(header[1])
        values = torch.empty(rows * per_row, dtype=torch.int32)
        dist.broadcast(values, 0)
        dist.send(_lookup(arch, values, rows, plan[rank], device).cpu().contiguous(), 0)
    dist.destroy_process_group()


class ShardedTables:
    """Callable like the model's sparse arch: ``{k: (n, size_k) indices}`` -> (n, 26, dim); ``close``
    stops the workers."""

    worker_main = staticmethod(_worker)

    def __init__(self, reader, cfg, plan: list[list[int]], devices: list[torch.device]):
        self.cfg, self.plan, self.devices, self.world = cfg, plan, devices, len(plan)
        port = _free_port()
        ctx = mp.get_context("spawn")
        status = ctx.Queue()
        self.workers = [ctx.Process(target=self.worker_main, daemon=True, name=f"dlrm-tables-{r}",
                                    args=(r, self.world, port, str(reader.folder), cfg, plan, str(devices[r]), status))
                        for r in range(1, self.world)]
        for worker in self.workers:
            worker.start()
        self.open = False
        self._join_group(port)
        self.open = True
        try:
            self.local = load_tables(reader, cfg, plan[0], devices[0])
            self._wait_ready(status)
        except BaseException:
            self.abort()
            raise
        atexit.register(self.close)

    def _join_group(self, port: int) -> None:
        """Join the process group while watching the workers: one that dies before it joins (a
        failed import, an out-of-memory kill) must stop the run now, not after the group's timeout."""
        import threading

        failure: list[BaseException] = []

        def join():
            try:
                dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0,
                                        world_size=self.world, timeout=TIMEOUT)
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                failure.append(exc)

        thread = threading.Thread(target=join, name="dlrm-join", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(timeout=0.5)
            dead = [w for w in self.workers if not w.is_alive()]
            if dead and thread.is_alive():
                for worker in self.workers:
                    worker.terminate()
                codes = ", ".join(f"{w.name} exit code {w.exitcode}" for w in dead)
                raise HarnessError(f"table worker(s) ended before joining the process group ({codes}); "
                                   "their error, if any, is printed above")
        if failure:
            raise failure[0]

    def _wait_ready(self, status) -> None:
        import queue

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

    def __call__(self, sparse: dict[int, torch.Tensor]) -> torch.Tensor:
        rows = int(sparse[0].shape[0])
        dist.broadcast(torch.tensor([1, rows], dtype=torch.int64), 0)
        values = torch.cat([sparse[k].to("cpu", torch.int32).reshape(-1) for k in range(len(MULTI_HOT_SIZES))])
        dist.broadcast(values, 0)
        out = torch.empty(rows, len(MULTI_HOT_SIZES), self.cfg.embedding_dim)
        out[:, self.plan[0]] = _lookup(self.local, values, rows, self.plan[0], self.devices[0]).cpu()
        for rank in range(1, self.world):
            part = torch.empty(rows, len(self.plan[rank]), self.cfg.embedding_dim)
            dist.recv(part, src=rank)
            out[:, self.plan[rank]] = part
        return out.to(self.devices[0])

    def abort(self) -> None:
        """After a failed start: stop the workers without talking to them."""
        self.open = False
        for worker in self.workers:
            worker.terminate()
            worker.join(timeout=10)
        dist.destroy_process_group()

    def close(self) -> None:
        """Tell the workers to finish and leave the process group; once (also registered atexit)."""
        if not self.open:
            return
        self.open = False
        try:
            dist.broadcast(torch.tensor([0, 0], dtype=torch.int64), 0)
            for worker in self.workers:
                worker.join(timeout=30)
        finally:
            dist.destroy_process_group()
