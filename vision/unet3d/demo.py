"""A KiTS19-like fixture and a small random 3D U-Net, generated offline, for the demo and tests.

Raw cases carry KiTS-like affines (one non-zero per row, 3.0 x 0.8 x 0.8 mm voxels) and an
intensity blob: kidney (label 1, ~150 HU) around a tumour (label 2, ~60 HU) in soft tissue. Their
sizes are chosen so that, after the reference preprocessing with a 32-voxel ROI (declared in the
manifest as ``"roi"``), the cases need 12, 1 and 4 windows. The model has the reference's module
names with filters (4, 8, 16). Nothing here is an accuracy claim: the weights are random.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from harness.hashing import file_digest

from .cases import INFERENCE_CASES

ROI = 32
FILTERS = (4, 8, 16)
RAW_SHAPES = ((24, 66, 90), (14, 50, 50), (20, 80, 70), (18, 60, 60))
AFFINE = np.array([[0.0, 0.0, -0.8, 0.0], [0.0, -0.8, 0.0, 0.0], [-3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])


def _volumes(rng: np.random.Generator, shape) -> tuple[np.ndarray, np.ndarray]:
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n) for n in shape), indexing="ij")
    cz, cy, cx = rng.uniform(-0.3, 0.3, 3)
    r = np.sqrt(((z - cz) / 0.8) ** 2 + ((y - cy) / 0.5) ** 2 + ((x - cx) / 0.4) ** 2)
    image = np.where(r < 1.6, 40.0, -1000.0) + rng.normal(0, 20, shape)
    label = np.zeros(shape, np.uint8)
    label[r < 0.9] = 1
    label[r < 0.45] = 2
    image[label == 1] += 110.0
    image[label == 2] -= 90.0
    return np.round(image).astype(np.int16), label


def write_case(folder: Path, rng: np.random.Generator, shape) -> None:
    import nibabel

    folder.mkdir(parents=True, exist_ok=True)
    image, label = _volumes(rng, shape)
    nibabel.save(nibabel.Nifti1Image(image, AFFINE), folder / "imaging.nii.gz")
    nibabel.save(nibabel.Nifti1Image(label, AFFINE), folder / "segmentation.nii.gz")


def write_model(path: Path, seed: int, images: list[np.ndarray]) -> None:
    """A random model saved like the reference checkpoint (``best_model_state_dict`` + a score).

    A random network favours one or two classes everywhere; shifting the output biases by the
    mean logits over the fixture's windows makes all three classes appear in its predictions."""
    import torch

    from .model import Unet3D
    from .sliding_window import window_origins

    torch.manual_seed(seed)
    model = Unet3D(filters=FILTERS).eval()
    with torch.no_grad():
        windows = [torch.from_numpy(img[None, :, i:i + ROI, j:j + ROI, k:k + ROI])
                   for img in images for i, j, k in window_origins(img.shape[1:], ROI)]
        logits = model(torch.cat(windows))
        model.output.conv[0].bias -= logits.mean(dim=(0, 2, 3, 4))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"best_model_state_dict": model.state_dict(), "mean_dice": np.float32(0.0), "epoch": 0}, path)


def preprocess_scratch(raw_dir: Path, cases, roi: int) -> tuple[dict[str, str], list[np.ndarray]]:
    """MD5 of each preprocessed pickle and the images, built in a scratch folder (the run
    preprocesses again and checks these checksums)."""
    from . import store

    with tempfile.TemporaryDirectory() as scratch:
        store.build(raw_dir, Path(scratch), cases, roi, workers=1)
        md5 = {c: r["md5"] for c, r in store.records(Path(scratch), cases).items()}
        return md5, [store.load_case(Path(scratch), c)[0] for c in cases]



def build(folder, count: int = 3, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("count") == count:
        return manifest
    if not 1 <= count <= len(RAW_SHAPES):
        raise ValueError(f"the fixture has 1 to {len(RAW_SHAPES)} cases, not {count}")
    rng = np.random.default_rng(seed)
    raw = folder / "kits19" / "data"
    cases = list(INFERENCE_CASES[:count])
    for case, shape in zip(cases, RAW_SHAPES):
        write_case(raw / case, rng, shape)
    checksums, images = preprocess_scratch(raw, cases, ROI)
    write_model(folder / "unet3d_tiny.pt", seed, images)
    manifest.write_text(json.dumps({
        "demo": True,
        "count": count,
        "note": "random weights on generated KiTS19-like volumes, ROI 32",
        "roi": ROI,
        "checksums": checksums,
        "artifacts": {
            "weights": {"path": "unet3d_tiny.pt", "sha256": file_digest(folder / "unet3d_tiny.pt", "sha256")},
            "kits19": {"path": "kits19/data"},
        },
    }, indent=2) + "\n")
    return manifest
