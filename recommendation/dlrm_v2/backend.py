"""The reference PyTorch backend: DLRM-v2 from the reference snapshot, sigmoid of the logit.

The response of one aggregated sample of n rows is float32 [p_0, label_0, ..., p_{n-1},
label_{n-1}], as the reference logs it, so the scorer needs nothing but the log. Each call
predicts exactly the samples it is given (the runner slices queries into BATCH_SIZE samples),
so no response can carry another sample's pairs, unlike the reference's queue runner.

Settings of this benchmark's own (declared in benchmark.py, parsed by the core, read from
``run.config.options``): ``WORLD_SIZE`` (default 1), the processes holding the tables (see
``sharded.py``); ``DLRM_MEMORY_LIMIT``, which replaces the measured free memory in the pre-load
check (``memory.py``).
"""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device

from . import memory


class ReferenceBackend(Backend):
    def __init__(self, dataset, run):
        import torch

        from . import sharded
        from .model import build_empty, config_from_shapes, table_name
        from .snapshot import SnapshotReader

        super().__init__(dataset, run)
        self.torch = torch
        self.device = resolve_device(run.config.device)
        world = run.config.options["WORLD_SIZE"]
        limit = run.config.options["DLRM_MEMORY_LIMIT"]
        weights = run.artifact_path("weights")
        try:
            reader = SnapshotReader(weights)
            self.cfg = config_from_shapes(reader.shapes())
        except (OSError, ValueError, KeyError) as exc:
            raise HarnessError(f"cannot read the DLRM-v2 snapshot {weights}: {exc}") from None
        tables = [table_name(k) for k in range(len(self.cfg.table_rows))]
        table_bytes = [reader.specs[t].nbytes for t in tables]
        dense_bytes = sum(s.nbytes for n, s in reader.specs.items() if n not in tables)
        if world == 1:
            memory.check({self.device: sum(table_bytes) + dense_bytes}, limit)
            self.model = build_empty(self.cfg, self.device)
            self.embed = self.model.sparse_arch
            names = list(self.model.state_dict())
        else:
            plan = sharded.assign(table_bytes, world)
            devices = sharded.rank_devices(self.device, world)
            shares: dict = {}
            for rank, device in enumerate(devices):
                shares[device] = shares.get(device, 0) + sum(table_bytes[k] for k in plan[rank])
            shares[devices[0]] += dense_bytes
            memory.check(shares, limit)
            self.model = build_empty(self.cfg, self.device, with_tables=False)
            names = list(self.model.state_dict())
        state = self.model.state_dict()
        try:
            for name in names:
                if name not in tables:
                    reader.read_into(name, state[name])
            if world == 1:
                for name in tables:
                    reader.read_into(name, state[name])
            else:
                self.embed = sharded.ShardedTables(reader, self.cfg, plan, devices)
        except (OSError, ValueError, KeyError) as exc:
            raise HarnessError(f"cannot load the DLRM-v2 weights from {weights}: {exc}") from None
        rows = sum(self.cfg.table_rows)
        where = f"{world} processes" if world > 1 else str(self.device)
        print(f"   DLRM-v2 on {where}: {rows} embedding rows x {self.cfg.embedding_dim}, "
              f"{memory.gib(sum(table_bytes))} of tables")

    def predict(self, indices) -> list[np.ndarray]:
        torch = self.torch
        batch = self.dataset.batch(indices)
        dense = torch.from_numpy(batch.dense).to(self.device)
        sparse = {k: torch.from_numpy(arr).to(self.device, torch.int64) for k, arr in enumerate(batch.sparse)}
        with torch.inference_mode():
            probs = torch.sigmoid(self.model.logits(dense, self.embed(sparse)))
        pairs = np.empty((len(batch.labels), 2), dtype=np.float32)
        pairs[:, 0] = probs.to("cpu", torch.float32).numpy()
        pairs[:, 1] = batch.labels
        bounds = np.cumsum(batch.sizes)[:-1]
        return [part.reshape(-1) for part in np.split(pairs, bounds)]

    def close(self) -> None:
        """Called by the core when the run ends: stop the table workers of the sharded mode."""
        self.embed.close()
