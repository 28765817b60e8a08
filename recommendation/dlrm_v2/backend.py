"""The reference PyTorch backend: DLRM-v2 from the reference snapshot, sigmoid of the logit.

The response of one aggregated sample of n rows is float32 [p_0, label_0, ..., p_{n-1},
label_{n-1}], as the reference logs it, so the scorer needs nothing but the log. Each call
predicts exactly the samples it is given (the runner slices queries into BATCH_SIZE samples),
so no response can carry another sample's pairs, unlike the reference's queue runner.

Settings of this benchmark's own (declared in benchmark.py, parsed by the core, read from
``run.config.options``): ``DLRM_ENGINE`` (default auto), who holds the tables: torchrec's sharded
collection (``torchrec_engine.py``) or our table-wise split (``sharded.py``; in this process when
WORLD_SIZE is 1); ``WORLD_SIZE`` (default 1), the processes holding the tables;
``DLRM_MEMORY_LIMIT``, which replaces the measured free memory in the pre-load check (``memory.py``).
"""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.errors import HarnessError, UsageError
from harness.torch_device import resolve_device

from . import memory


def choose_engine(requested: str, device) -> tuple[str, str]:
    """(engine, why) for DLRM_ENGINE=``requested`` on ``device``: torchrec where it imports and suits
    the device, else the table-wise engine; DLRM_ENGINE=torchrec that cannot run is an error."""
    if requested == "tables":
        return "tables", "DLRM_ENGINE=tables"
    try:
        from . import torchrec_engine
    except Exception as exc:  # noqa: BLE001 - an ImportError, or fbgemm's OSError for a library that will not load
        problem = f"torchrec cannot be imported ({type(exc).__name__}: {str(exc).strip().splitlines()[0]})"
    else:
        problem = torchrec_engine.unusable_on(device)
        if problem is None:
            return "torchrec", f"{torchrec_engine.describe()}, DLRM_ENGINE={requested}"
    if requested == "torchrec":
        raise UsageError(f"DLRM_ENGINE=torchrec cannot run here: {problem}. Build the benchmark's environment "
                         "(make dlrm-v2 installs the pinned torchrec and fbgemm-gpu-cpu), or set "
                         "DLRM_ENGINE=tables for our table-wise engine (same predictions, no torchrec).")
    return "tables", f"DLRM_ENGINE=auto and {problem}"


class ReferenceBackend(Backend):
    def __init__(self, dataset, run):
        import torch

        from . import sharded
        from .model import build_empty, config_from_shapes, table_name
        from .snapshot import SnapshotReader

        super().__init__(dataset, run)
        self.torch = torch
        world = run.config.options["WORLD_SIZE"]
        limit = run.config.options["DLRM_MEMORY_LIMIT"]
        devices = sharded.rank_devices(resolve_device(run.config.device), world)
        self.device = devices[0]  # the dense layers run beside rank 0's tables
        weights = run.artifact_path("weights")
        try:
            reader = SnapshotReader(weights)
            self.cfg = config_from_shapes(reader.shapes())
        except (OSError, ValueError, KeyError) as exc:
            raise HarnessError(f"cannot read the DLRM-v2 snapshot {weights}: {exc}") from None
        tables = [table_name(k) for k in range(len(self.cfg.table_rows))]
        table_bytes = [reader.specs[t].nbytes for t in tables]
        dense_bytes = sum(s.nbytes for n, s in reader.specs.items() if n not in tables)
        plan = sharded.assign(table_bytes, world)
        memory.check(memory.shares(devices, plan, table_bytes, dense_bytes), limit)
        engine, why = choose_engine(run.config.options["DLRM_ENGINE"], self.device)
        print(f"   DLRM-v2 engine: {engine} ({why})")
        in_model = engine == "tables" and world == 1  # the plain model: tables in this process
        self.model = build_empty(self.cfg, self.device, with_tables=in_model)
        state = self.model.state_dict()
        try:
            for name in state:
                reader.read_into(name, state[name])
            if in_model:
                self.embed = self.model.sparse_arch
            elif engine == "tables":
                self.embed = sharded.ShardedTables(reader, self.cfg, plan, devices)
            else:
                from .torchrec_engine import TorchrecTables

                self.embed = TorchrecTables(reader, self.cfg, plan, devices)
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
        with torch.no_grad():  # not inference_mode: fbgemm's CPU lookup is registered under autograd only
            pooled = self.embed(sparse)
        with torch.inference_mode():
            probs = torch.sigmoid(self.model.logits(dense, pooled))
        pairs = np.empty((len(batch.labels), 2), dtype=np.float32)
        pairs[:, 0] = probs.to("cpu", torch.float32).numpy()
        pairs[:, 1] = batch.labels
        bounds = np.cumsum(batch.sizes)[:-1]
        return [part.reshape(-1) for part in np.split(pairs, bounds)]

    def close(self) -> None:
        """Called by the core when the run ends: stop the other ranks and leave the process group."""
        self.embed.close()
