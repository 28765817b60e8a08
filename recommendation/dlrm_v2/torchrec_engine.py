"""The torchrec engine (DLRM_ENGINE=torchrec): the embedding tables as torchrec's
EmbeddingBagCollection, sharded by DistributedModelParallel and looked up by fbgemm's batched
embedding kernels, as the reference runs them. Importing this module is the availability check:
it fails where torchrec or fbgemm cannot load.

Only the tables are torchrec's: the pooled embeddings feed model.py's dense, cross and over
layers, so both engines share every step after the lookup. The weights come from the same
snapshot through our SnapshotReader, written into each rank's local shard of each table.

- Plan: table-wise, each table whole on the rank ``sharded.assign`` gives it (the placement the
  memory check books and the table-wise engine uses), fbgemm's fused kernel. The reference's
  row-wise plan gives the same sums.
- Ranks: WORLD_SIZE processes in one group, NCCL between GPUs (rank r on cuda:K+r), gloo on
  CPUs. Rank 0 is the harness process, which hosts LoadGen and the dense layers, so the ranks are
  spawned by ``ranks.py`` rather than by torchrun, which would start N copies of the harness.
  WORLD_SIZE=1 is a group of one: the same kernels (torchrec's unsharded collection would run
  nn.EmbeddingBag).
- Per batch: DMP takes a data-parallel input, an equal slice of rows per rank, and every rank
  must join its all-to-alls. Rank 0 pads the batch to a multiple of WORLD_SIZE (rows of index
  0, dropped after), scatters one slice to each rank, runs its own slice, and gathers the pooled
  slices; no rank looks up rows twice.
- Lookups run under no_grad, not inference_mode: fbgemm registers its CPU lookup under the
  autograd dispatch key only, which inference_mode skips.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

import fbgemm_gpu
import torch
import torch.distributed as dist
import torchrec
from torch import nn
from torchrec.distributed import DistributedModelParallel, collective_utils
from torchrec.distributed.embedding_types import EmbeddingComputeKernel
from torchrec.distributed.types import (EmbeddingModuleShardingPlan, EnumerableShardingSpec, ParameterSharding,
                                        ShardingEnv, ShardingPlan, ShardingType, ShardMetadata)
from torchrec.sparse.jagged_tensor import KeyedJaggedTensor

from . import ranks
from .criteo import MULTI_HOT_SIZES
from .model import table_name

logging.getLogger("torch.fx._symbolic_trace").setLevel(logging.ERROR)  # torchrec trips a notice meant for tracers

TIMEOUT = timedelta(hours=1)  # collectives wait this long (ranks idle between queries)
FEATURES = [f"cat_{k}" for k in range(len(MULTI_HOT_SIZES))]
PER_ROW = sum(MULTI_HOT_SIZES)


def describe() -> str:
    return f"torchrec {torchrec.__version__} with fbgemm {fbgemm_gpu.__version__} ({fbgemm_gpu.__variant__} build)"


def unusable_on(device: torch.device) -> str | None:
    """Why this engine cannot run on ``device`` although it imports, else None."""
    if device.type == "cuda" and fbgemm_gpu.__variant__ == "cpu":
        return (f"the installed fbgemm is the CPU build (fbgemm-gpu-cpu {fbgemm_gpu.__version__}), which has no "
                f"CUDA kernels; for DEVICE=cuda install fbgemm-gpu=={fbgemm_gpu.__version__} (the CUDA build) instead")
    return None


def _leave_uninitialised(weight: torch.Tensor) -> None:
    """Tables' init_fn: skip the random draw over 97 GiB; every row is read from the snapshot next."""


class _Tables(nn.Module):
    """The module DMP shards: torchrec's collection under the name the plan uses."""

    def __init__(self, cfg):
        super().__init__()
        self.tables = torchrec.EmbeddingBagCollection(device=torch.device("meta"), tables=[
            torchrec.EmbeddingBagConfig(name=f"t_cat_{k}", embedding_dim=cfg.embedding_dim, num_embeddings=rows,
                                        feature_names=[FEATURES[k]], pooling=torchrec.PoolingType.SUM,
                                        init_fn=_leave_uninitialised)
            for k, rows in enumerate(cfg.table_rows)])

    def forward(self, features: KeyedJaggedTensor):
        return self.tables(features)


def sharding_plan(cfg, plan: list[list[int]], devices: list[torch.device]) -> ShardingPlan:
    """Table k whole on the rank ``plan`` puts it on, on that rank's device, fbgemm's fused kernel."""
    owner = {k: rank for rank, tables in enumerate(plan) for k in tables}
    per_table = EmbeddingModuleShardingPlan({
        f"t_cat_{k}": ParameterSharding(
            sharding_type=ShardingType.TABLE_WISE.value, compute_kernel=EmbeddingComputeKernel.FUSED.value,
            ranks=[owner[k]], sharding_spec=EnumerableShardingSpec([ShardMetadata(
                shard_offsets=[0, 0], shard_sizes=[rows, cfg.embedding_dim],
                placement=f"rank:{owner[k]}/{devices[owner[k]]}")]))
        for k, rows in enumerate(cfg.table_rows)})
    return ShardingPlan({"tables": per_table})


def build(reader, cfg, plan, devices, rank: int) -> DistributedModelParallel:
    """This rank's part of the sharded collection, its tables filled from the snapshot (every rank
    must call it at the same time: sharding talks to the group)."""
    # DMP's first construction in a process broadcasts a flag from rank 0 and marks the process as
    # done; a later group here (tests, the bench) has new ranks that would wait for that broadcast
    if hasattr(collective_utils, "_INITIALIZED"):
        collective_utils._INITIALIZED = False
    dmp = DistributedModelParallel(_Tables(cfg), env=ShardingEnv.from_process_group(dist.group.WORLD),
                                   device=devices[rank], plan=sharding_plan(cfg, plan, devices),
                                   init_data_parallel=False)
    state = dmp.state_dict()
    for k in range(len(cfg.table_rows)):
        for shard in state[f"tables.embedding_bags.t_cat_{k}.weight"].local_shards():
            if list(shard.metadata.shard_offsets) != [0, 0]:
                raise ValueError(f"t_cat_{k}: expected whole tables, got a shard at {shard.metadata.shard_offsets}")
            reader.read_into(table_name(k), shard.tensor)
    return dmp.eval()


@functools.lru_cache(maxsize=4)
def _lengths(rows: int, device: torch.device) -> torch.Tensor:
    return torch.tensor(MULTI_HOT_SIZES, dtype=torch.int32, device=device).repeat_interleave(rows)


def lookup(dmp, values: torch.Tensor, rows: int, device: torch.device) -> torch.Tensor:
    """Pooled embeddings (rows, 26, dim) of one slice: ``values`` holds feature 0's rows x size_0
    indices, then feature 1's, ... (a KeyedJaggedTensor's layout, every row the same length)."""
    features = KeyedJaggedTensor.from_lengths_sync(keys=FEATURES, values=values.to(device, torch.int64),
                                                   lengths=_lengths(rows, device))
    with torch.no_grad():
        out = dmp(features)
        pooled = out.values().view(rows, len(FEATURES), -1)  # (rows, 26 x dim), one block per key
        keys = out.keys()
    if keys != FEATURES:  # keys come grouped by rank: put the tables back in order, one copy
        pooled = pooled[:, [keys.index(name) for name in FEATURES]]
    return pooled


def _worker(rank, world, port, status, folder, cfg, plan, devices) -> None:
    from .snapshot import SnapshotReader

    devices = [torch.device(d) for d in devices]
    device = devices[rank]

    def load():
        ranks.join(rank, world, port, device, TIMEOUT)
        return build(SnapshotReader(folder), cfg, plan, devices, rank)

    dmp = ranks.report_ready(status, rank, load)
    if dmp is None:
        return
    while True:
        header = torch.empty(2, dtype=torch.int64, device=device)
        dist.broadcast(header, 0)
        if int(header[0]) == ranks.STOP:
            break
        rows = int(header[1])
        values = torch.empty(rows * PER_ROW, dtype=torch.int32, device=device)
        dist.scatter(values, None, src=0)
        dist.gather(lookup(dmp, values, rows, device).contiguous(), None, dst=0)
    dist.destroy_process_group()


class TorchrecTables(ranks.RankGroup):
    """Callable like the model's sparse arch: ``{k: (n, size_k) indices}`` -> (n, 26, dim) on rank
    0's device; ``close`` stops the other ranks and leaves the group."""

    worker_main = staticmethod(_worker)
    process_name = "dlrm-torchrec"

    def __init__(self, reader, cfg, plan: list[list[int]], devices: list[torch.device]):
        self.reader, self.cfg, self.plan, self.devices = reader, cfg, plan, devices
        names = [str(d) for d in devices]
        self.start(len(plan), devices[0], lambda r: (str(reader.folder), cfg, plan, names), TIMEOUT)

    def load_local(self) -> None:
        self.dmp = build(self.reader, self.cfg, self.plan, self.devices, 0)

    def __call__(self, sparse: dict[int, torch.Tensor]) -> torch.Tensor:
        device, world = self.devices[0], self.world
        rows = int(sparse[0].shape[0])
        if world == 1:
            return lookup(self.dmp, torch.cat([sparse[k].reshape(-1) for k in range(len(sparse))]), rows, device)
        per = -(-rows // world)  # rows per rank, the batch padded up to world * per
        padded = [nn.functional.pad(sparse[k].to(device, torch.int32), (0, 0, 0, per * world - rows))
                  for k in range(len(MULTI_HOT_SIZES))]
        slices = [torch.cat([p[r * per:(r + 1) * per].reshape(-1) for p in padded]) for r in range(world)]
        dist.broadcast(torch.tensor([ranks.BATCH, per], dtype=torch.int64, device=device), 0)
        mine = torch.empty_like(slices[0])
        dist.scatter(mine, slices, src=0)
        pooled = lookup(self.dmp, mine, per, device).contiguous()
        parts = [torch.empty_like(pooled) for _ in range(world)]
        dist.gather(pooled, parts, dst=0)
        return torch.cat(parts)[:rows]

    def stop_workers(self) -> None:
        dist.broadcast(torch.tensor([ranks.STOP, 0], dtype=torch.int64, device=self.devices[0]), 0)
