"""The table-wise engine (DLRM_ENGINE=tables): embedding tables spread over WORLD_SIZE processes
with torch.distributed (gloo), without torchrec.

For when one device cannot hold the 97.4 GiB of tables: with ``WORLD_SIZE=N DEVICE=cuda:K`` each
of N processes keeps its share of the tables on its own GPU (cuda:K .. cuda:K+N-1); with
``DEVICE=cpu`` the shares live in N processes of the same host (no memory saved, but the
lookups run in parallel). Rank 0 is the harness process (see ``ranks.py``): it also runs the
dense layers, and per batch it broadcasts the indices to every rank and receives each rank's
pooled embeddings through the host.

Tables are whole per process; sum pooling per table is the same wherever the table lives, so
the numbers equal the single-process model's (and torchrec's, see ``torchrec_engine.py``).
"""

from __future__ import annotations

from datetime import timedelta

import torch
import torch.distributed as dist

from harness.errors import UsageError

from . import ranks
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


def rank_devices(device: torch.device, world: int, gpu_count: int | None = None) -> list[torch.device]:
    """The device of each rank: the CPU for all, or ``world`` GPUs counted from the requested one
    (DEVICE=cuda:2 WORLD_SIZE=2: cuda:2, cuda:3), so rank 0's tables and the dense layers share a GPU."""
    if device.type != "cuda":
        return [torch.device("cpu")] * world
    first = device.index or 0
    count = torch.cuda.device_count() if gpu_count is None else gpu_count
    if first + world > count:
        have = f"{count} GPU(s) are visible" + (f" (cuda:0..cuda:{count - 1})" if count else "")
        advice = (f"use DEVICE=cuda:N with N <= {count - world}, or a smaller WORLD_SIZE" if world <= count
                  else f"use WORLD_SIZE={count} or less")
        raise UsageError(f"WORLD_SIZE={world} with DEVICE=cuda:{first} puts rank r on cuda:{first}+r, up to "
                           f"cuda:{first + world - 1}, but {have}: {advice}.")
    return [torch.device(f"cuda:{first + r}") for r in range(world)]


def load_tables(reader, cfg, tables: list[int], device: torch.device):
    arch = build_tables(cfg, tables, device)
    for k in tables:
        reader.read_into(table_name(k), arch.embedding_bag_collection.embedding_bags[f"t_cat_{k}"].weight)
    return arch


def _lookup(arch, values: torch.Tensor, rows: int, tables: list[int], device) -> torch.Tensor:
    """Pooled embeddings (rows, len(tables), dim) from the broadcast index buffer."""
    starts = [0]
    for size in MULTI_HOT_SIZES:
        starts.append(starts[-1] + rows * size)
    sparse = {k: values[starts[k]:starts[k + 1]].view(rows, MULTI_HOT_SIZES[k]).to(device, torch.int64)
              for k in tables}
    with torch.inference_mode():
        return arch(sparse)


def _worker(rank, world, port, status, folder, cfg, plan, device) -> None:
    from .snapshot import SnapshotReader

    device = torch.device(device)

    def load():
        # gloo even between GPUs: the pooled embeddings travel through the host to rank 0
        ranks.join(rank, world, port, torch.device("cpu"), TIMEOUT)
        return load_tables(SnapshotReader(folder), cfg, plan[rank], device)

    arch = ranks.report_ready(status, rank, load)
    if arch is None:
        return
    per_row = sum(MULTI_HOT_SIZES)
    while True:
        header = torch.empty(2, dtype=torch.int64)
        dist.broadcast(header, 0)
        if int(header[0]) == ranks.STOP:
            break
        rows = int(header[1])
        values = torch.empty(rows * per_row, dtype=torch.int32)
        dist.broadcast(values, 0)
        dist.send(_lookup(arch, values, rows, plan[rank], device).cpu().contiguous(), 0)
    dist.destroy_process_group()


class ShardedTables(ranks.RankGroup):
    """Callable like the model's sparse arch: ``{k: (n, size_k) indices}`` -> (n, 26, dim); ``close``
    stops the workers."""

    worker_main = staticmethod(_worker)
    process_name = "dlrm-tables"

    def __init__(self, reader, cfg, plan: list[list[int]], devices: list[torch.device]):
        self.reader, self.cfg, self.plan, self.devices = reader, cfg, plan, devices
        self.start(len(plan), torch.device("cpu"),
                   lambda r: (str(reader.folder), cfg, plan, str(devices[r])), TIMEOUT)

    def load_local(self) -> None:
        self.local = load_tables(self.reader, self.cfg, self.plan[0], self.devices[0])

    def __call__(self, sparse: dict[int, torch.Tensor]) -> torch.Tensor:
        rows = int(sparse[0].shape[0])
        dist.broadcast(torch.tensor([ranks.BATCH, rows], dtype=torch.int64), 0)
        values = torch.cat([sparse[k].to("cpu", torch.int32).reshape(-1) for k in range(len(MULTI_HOT_SIZES))])
        dist.broadcast(values, 0)
        out = torch.empty(rows, len(MULTI_HOT_SIZES), self.cfg.embedding_dim)
        out[:, self.plan[0]] = _lookup(self.local, values, rows, self.plan[0], self.devices[0]).cpu()
        for rank in range(1, self.world):
            part = torch.empty(rows, len(self.plan[rank]), self.cfg.embedding_dim)
            dist.recv(part, src=rank)
            out[:, self.plan[rank]] = part
        return out.to(self.devices[0])

    def stop_workers(self) -> None:
        dist.broadcast(torch.tensor([ranks.STOP, 0], dtype=torch.int64), 0)
