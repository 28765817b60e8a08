"""A small ImageNet-like set and a small random ResNet, generated offline, for the demo and tests.

The images are smooth synthetic pictures of assorted sizes and aspect ratios (one greyscale, one
PNG saved under a .JPEG name, as ImageNet has a few such files); labels are random unless given.
Nothing here is an accuracy claim: the weights are random.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest


def _picture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.005, 0.05), rng.uniform(0.005, 0.05), rng.uniform(0, 6.3)
        channels.append(127.5 + 127.5 * np.sin(fx * x + fy * y + phase))
    image = np.stack(channels, axis=-1)
    cy, cx, r = rng.integers(0, height), rng.integers(0, width), rng.integers(20, 120)
    image[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.integers(0, 256, size=3)
    return np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)


def write_images(folder: Path, count: int, seed: int) -> list[str]:
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        name = f"ILSVRC2012_val_{i + 1:08d}.JPEG"
        height, width = int(rng.integers(180, 520)), int(rng.integers(180, 520))
        image = Image.fromarray(_picture(rng, height, width))
        if i % 7 == 3:
            image = image.convert("L")
        image.save(folder / name, format="PNG" if i % 11 == 5 else "JPEG", quality=90)
        names.append(name)
    return names


def write_model(path: Path, seed: int, images: list[Path], blocks=(1, 1, 1, 1), width: int = 8) -> None:
    """A small random ResNet whose classifier is centred on the fixture's features.

    A random network maps every picture to nearly the same pooled features, so its argmax is
    one class for all; centring and scaling the classifier on these images spreads the
    predictions, which lets the tests use predictions as known right answers.
    """
    import torch

    from .model import ResNet
    from .preprocess import preprocess

    torch.manual_seed(seed)
    model = ResNet(blocks=blocks, width=width, num_classes=1000).eval()
    batch = torch.from_numpy(np.stack([preprocess(str(p)) for p in images]))
    with torch.no_grad():
        x = model.maxpool(model.relu(model.bn1(model.conv1(batch))))
        x = model.layer4(model.layer3(model.layer2(model.layer1(x))))
        features = torch.flatten(model.avgpool(x), 1)
        weight = torch.randn(1000, features.shape[1]) / (features.std(0) + 1e-6)
        model.fc.weight.copy_(weight)
        model.fc.bias.copy_(-(weight @ features.mean(0)))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)



def write_manifest(folder: Path) -> Path:
    count = len((folder / "val_map.txt").read_text().splitlines())
    manifest = {
        "demo": True,
        "count": count,
        "note": "random weights on generated images",
        "artifacts": {
            "weights": {"path": "resnet_tiny.pt", "sha256": file_digest(folder / "resnet_tiny.pt", "sha256")},
            "val_map": {"path": "val_map.txt", "sha256": file_digest(folder / "val_map.txt", "sha256")},
            "images": {"path": "val"},
        },
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def write_val_map(folder: Path, names: list[str], labels: list[int]) -> None:
    (folder / "val_map.txt").write_text("".join(f"{n} {lab}\n" for n, lab in zip(names, labels)))
    if (folder / "manifest.json").exists():
        write_manifest(folder)


def build(folder, count: int = 64, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file() and len((folder / "val_map.txt").read_text().splitlines()) == count:
        return manifest
    names = write_images(folder / "val", count, seed)
    write_model(folder / "resnet_tiny.pt", seed, [folder / "val" / n for n in names])
    labels = np.random.default_rng(seed + 1).integers(0, 1000, size=count).tolist()
    write_val_map(folder, names, labels)
    return write_manifest(folder)
