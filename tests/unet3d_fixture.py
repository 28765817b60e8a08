"""The 3D-UNet fixture shared by its tests: the demo's generated cases and small random model,
and the expected DICE computed directly (no LoadGen, no harness runner) with a literal
transcription of the reference's sliding window: one window at a time, a float32 normalisation
map, float64 division, argmax."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

COUNT = 3


def reference_segment(model, image: np.ndarray, roi: int) -> np.ndarray:
    import torch

    from vision.unet3d.sliding_window import gaussian_patch

    volume = torch.from_numpy(image[np.newaxis]).float()
    result = torch.zeros((1, 3, *volume.shape[2:]))
    norm_map = torch.zeros_like(result)
    patch = torch.from_numpy(gaussian_patch(roi))
    stride = roi // 2
    counts = [(n - roi) // stride + 1 for n in volume.shape[2:]]
    for i in range(0, stride * counts[0], stride):
        for j in range(0, stride * counts[1], stride):
            for k in range(0, stride * counts[2], stride):
                window = (..., slice(i, i + roi), slice(j, j + roi), slice(k, k + roi))
                with torch.no_grad():  # contiguous: the CPU's fast convolution path, same values
                    result[window] += model(volume[window].contiguous()) * patch
                norm_map[window] += patch
    scores = result.numpy().astype(float) / norm_map.numpy().astype(float)
    return np.expand_dims(np.argmax(scores, axis=1).astype(np.uint8), 0)


def plain_manifest(folder: Path, where: Path, **changes) -> Path:
    """The demo manifest without its demo flag (so the verdict sets the exit code), edited."""
    data = json.loads((folder / "manifest.json").read_text())
    data.pop("demo")
    for entry in data["artifacts"].values():
        entry["path"] = str(folder / entry["path"])
    data.update(changes)
    where.mkdir(parents=True, exist_ok=True)
    path = where / "manifest.json"
    path.write_text(json.dumps(data))
    return path


_BUILT: dict = {}  # test modules each import the fixture; the fixture itself is built once per session


@pytest.fixture(scope="session")
def unet3d_fixture(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("nibabel")
    if not _BUILT:
        _BUILT.update(_build(tmp_path_factory.mktemp("unet3d_fixture")))
    return _BUILT


def _build(folder: Path) -> dict:
    from vision.unet3d import demo, model, store
    from vision.unet3d.cases import INFERENCE_CASES
    from vision.unet3d.metric import accuracy_line, dice_scores, summarise

    demo.build(folder, count=COUNT, seed=1)
    scratch = folder / "oracle_preprocessed"
    cases = list(INFERENCE_CASES[:COUNT])
    store.build(folder / "kits19" / "data", scratch, cases, demo.ROI, workers=1)
    net = model.load(str(folder / "unet3d_tiny.pt"))
    per_case, predictions = {}, {}
    for case in cases:
        image, label = store.load_case(scratch, case)
        predictions[case] = reference_segment(net, image, demo.ROI)
        per_case[case] = dice_scores(predictions[case].reshape(label.shape), label)
    means = summarise(per_case)
    return {"folder": folder, "cases": cases, "line": accuracy_line(means), "means": means,
            "predictions": predictions, "preprocessed": scratch}
