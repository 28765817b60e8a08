"""The generated DLRM-v2 fixture, its tiny model's predictions computed directly (no LoadGen, no
harness backend), and run manifests whose labels give a known AUC."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROWS = 6000  # 3000 validation rows, 11 aggregated samples


def build(folder: Path) -> dict:
    import torch

    from recommendation.dlrm_v2 import aggregation, criteo, demo
    from recommendation.dlrm_v2.model import build_empty, config_from_shapes
    from recommendation.dlrm_v2.snapshot import SnapshotReader

    torch.set_num_threads(1)
    manifest = demo.build(folder, rows=ROWS, seed=11)
    data = folder / "data"
    day = criteo.open_validation(data / demo.DATA_FILES["dense"], data / demo.DATA_FILES["labels"],
                                 data / demo.DATA_FILES["sparse"])
    offsets = aggregation.sample_offsets(day.rows, aggregation.read_quantiles())
    reader = SnapshotReader(folder / "model_weights")
    model = build_empty(config_from_shapes(reader.shapes()), torch.device("cpu"))
    state = model.state_dict()
    for name in state:
        reader.read_into(name, state[name])
    probs = []
    with torch.inference_mode():
        for start, stop in zip(offsets[:-1], offsets[1:]):  # one sample at a time
            dense = torch.from_numpy(np.array(day.dense[start:stop]))
            sparse = {k: torch.from_numpy(np.array(a[start:stop])).long() for k, a in enumerate(day.sparse)}
            probs.append(torch.sigmoid(model(dense, sparse)).numpy())
    return {"folder": folder, "manifest": manifest, "offsets": offsets, "probs": probs,
            "labels": [np.array(day.labels[a:b, 0]) for a, b in zip(offsets[:-1], offsets[1:])]}


def labelled(fixture: dict, where: Path, passing: bool) -> tuple[Path, list[np.ndarray]]:
    """A non-demo manifest over the fixture; with ``passing`` the labels are 1 exactly where the
    model's probability is above its median (AUC 100 %), otherwise the generated random labels."""
    from harness.hashing import file_digest
    from recommendation.dlrm_v2.demo import DATA_FILES

    where.mkdir(parents=True, exist_ok=True)
    data = fixture["folder"] / "data"
    labels = fixture["labels"]
    if passing:
        flat = np.concatenate(fixture["probs"])
        cut = np.median(flat)
        labels = [(p > cut).astype(np.int32) for p in fixture["probs"]]
        full = np.zeros((ROWS, 1), np.int32)
        full[: flat.size, 0] = np.concatenate(labels)
        np.save(where / DATA_FILES["labels"], full)
    paths = {name: data / file for name, file in DATA_FILES.items()}
    if passing:
        paths["labels"] = where / DATA_FILES["labels"]
    artifacts = {name: {"path": str(p), "sha256": file_digest(p, "sha256")} for name, p in paths.items()}
    artifacts["weights"] = {"path": str(fixture["folder"] / "model_weights")}
    path = where / "manifest.json"
    path.write_text(json.dumps({"artifacts": artifacts}))
    return path, labels
