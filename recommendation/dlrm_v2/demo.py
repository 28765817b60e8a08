"""A tiny multi-hot Criteo day 23 and a tiny random DLRM-v2, generated offline, for the demo and tests.

The data follow the reference's debug generator (quickgen): dense uniform [0, 9) float32, labels
int32 (rows, 1), the real 26 multi-hot sizes with indices below the tiny table size, saved as
``day_23_dense.npy``, ``day_23_labels.npy`` and an uncompressed ``np.savez`` archive
``day_23_sparse_multi_hot.npz`` (so the zip-offset memory maps are exercised). The model has the
real layout with small sizes (dim 8, 26 tables of 10 rows, dense [16, 8], over [16, 8, 1], 3 cross
layers of rank 4), its last layer calibrated on the generated rows, and is saved as a torchsnapshot folder laid out like the reference weights.
Its weights are random: nothing here is an accuracy claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest

from . import aggregation
from .criteo import DENSE_FEATURES, MULTI_HOT_SIZES

TABLE_ROWS = 10
DATA_FILES = {"dense": "day_23_dense.npy", "labels": "day_23_labels.npy", "sparse": "day_23_sparse_multi_hot.npz"}


def tiny_config():
    from .model import DLRMConfig

    return DLRMConfig(table_rows=(TABLE_ROWS,) * len(MULTI_HOT_SIZES), embedding_dim=8, dense_layers=(16, 8),
                      over_layers=(16, 8, 1), dcn_layers=3, dcn_rank=4)


def write_data(folder: Path, rows: int, seed: int) -> None:
    rng = np.random.RandomState(seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / DATA_FILES["dense"], rng.uniform(0.0, 9.0, size=(rows, DENSE_FEATURES)).astype(np.float32))
    np.save(folder / DATA_FILES["labels"], rng.randint(0, 2, (rows, 1), dtype=np.int32))
    sparse = {str(k): rng.randint(0, TABLE_ROWS, (rows, size), dtype=np.int32) for k, size in enumerate(MULTI_HOT_SIZES)}
    np.savez(folder / DATA_FILES["sparse"], **sparse)


def write_model(folder: Path, data: Path, seed: int, world_size: int = 2) -> None:
    """Random tiny weights as a snapshot with row-wise table shards over ``world_size`` ranks.

    A random net on raw dense features saturates the sigmoid (every probability 0.0 or 1.0);
    the last layer is rescaled so that the fixture's logits have mean 0 and std 2, which spreads
    the probabilities and gives the tests meaningful rankings."""
    import torch

    from . import criteo, snapshot
    from .model import TABLE_PREFIX, DLRM_DCN

    torch.manual_seed(seed)
    model = DLRM_DCN(tiny_config()).eval()
    day = criteo.open_validation(*(data / DATA_FILES[n] for n in ("dense", "labels", "sparse")))
    with torch.no_grad():
        dense = torch.from_numpy(np.array(day.dense))
        sparse = {k: torch.from_numpy(np.array(a)).long() for k, a in enumerate(day.sparse)}
        logits = model(dense, sparse)
        last = model.over_arch.model[1]
        scale = 2.0 / float(logits.std())
        last.weight.mul_(scale)
        last.bias.mul_(scale).sub_(float(logits.mean()) * scale)
    snapshot.write(folder, model.state_dict(), world_size=world_size, sharded=lambda n: n.startswith(TABLE_PREFIX))


def write_manifest(folder: Path, rows: int, count: int, note: str = "random weights on generated data") -> Path:
    artifacts = {name: {"path": f"data/{file}", "sha256": file_digest(folder / "data" / file, "sha256")}
                 for name, file in DATA_FILES.items()}
    artifacts["weights"] = {"path": "model_weights"}
    manifest = {"demo": True, "count": count, "rows": rows, "note": note, "artifacts": artifacts}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def build(folder, rows: int = 6000, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    folder = Path(folder)
    validation = (rows + 1) // 2
    count = len(aggregation.sample_offsets(validation, aggregation.read_quantiles())) - 1
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("rows") == rows:
        return manifest
    write_data(folder / "data", rows, seed)
    write_model(folder / "model_weights", folder / "data", seed)
    return write_manifest(folder, rows, count)
