"""A small OpenImages-like set and a small random RetinaNet, generated offline, for the demo and tests.

Images: smooth synthetic pictures of assorted sizes (one greyscale) named by 16 hex digits like
OpenImages ids. Model: the reference architecture shrunk (one block per stage, few channels,
9 anchors, 24 of the 264 classes), saved as a TorchScript archive like the upstream checkpoint,
its classification bias set so that a few hundred anchors pass the 0.05 score threshold.
Annotations: COCO-style ``openimages-mlperf.json``; the boxes are the model's own best detections
on most images (so the demo scores something) and random boxes on the rest, one a crowd box.
Nothing here is an accuracy claim: the weights are random.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from harness.hashing import file_digest

from .classes import CLASSES

# 24 classes, not 264: the classification head dominates the cost at 800x800 on a CPU, and the
# labels (0..23) are valid MLPerf category ids all the same.
DEMO_SHAPE = {"blocks": (1, 1, 1, 1), "stem": 8, "groups": 2, "width_per_group": 8, "fpn_channels": 8,
              "num_classes": 24}
SIZES = ((480, 640), (683, 1024), (500, 300), (375, 500), (800, 800), (333, 500), (612, 612), (427, 640))
CANDIDATES_PER_IMAGE = 300
SCORE_GAIN = 1.5


def write_images(folder: Path, count: int, seed: int) -> list[dict]:
    """JPEGs in ``folder``; returns COCO image entries (ids 1..N in file-name order)."""
    import cv2

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = sorted({f"{rng.integers(0, 2**63):016x}" for _ in range(count)})
    images = []
    for number, image_id in enumerate(ids, 1):
        height, width = SIZES[(number - 1) % len(SIZES)]
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        picture = np.stack([127.5 + 127.5 * np.sin(rng.uniform(0.005, 0.05) * x + rng.uniform(0.005, 0.05) * y
                                                    + rng.uniform(0, 6.3)) for _ in range(3)], axis=-1)
        picture = np.clip(picture + rng.normal(0, 8, picture.shape), 0, 255).astype(np.uint8)
        if number % 5 == 3:
            picture = cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY)
        name = f"{image_id}.jpg"
        cv2.imwrite(str(folder / name), picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
        decoded = cv2.imread(str(folder / name))
        images.append({"id": number, "file_name": name, "height": int(decoded.shape[0]),
                       "width": int(decoded.shape[1]), "license": None, "coco_url": None})
    return images


def build_model(seed: int, calibration: list[Path]):
    """The small random model, its classification bias set from its own logits on a few images."""
    import torch

    from .model import RetinaNet
    from .preprocess import preprocess

    torch.manual_seed(seed)
    model = RetinaNet(DEMO_SHAPE).eval()
    cls = model.head.classification_head.cls_logits
    with torch.no_grad():
        for conv in model.head.regression_head.modules():  # the reference's initialisation: boxes
            if isinstance(conv, torch.nn.Conv2d):  # near their anchors, none collapsed by clipping
                torch.nn.init.normal_(conv.weight, std=0.01)
                torch.nn.init.zeros_(conv.bias)
        cls.bias.zero_()
        batch = torch.from_numpy(np.stack([preprocess(str(p)) for p in calibration]))
        tower = model.head.classification_head.conv
        outputs = [cls(tower(f)) for f in model.features(batch)]  # (N, A*K, H, W) per level
        per_channel = torch.cat([o.transpose(0, 1).reshape(o.shape[1], -1) for o in outputs], dim=1)
        # Standardise every output channel (each anchor and class gets its share of candidates),
        # then shift so that about CANDIDATES_PER_IMAGE pass 0.05, with a gain to spread the scores.
        mean, std = per_channel.mean(dim=1), per_channel.std(dim=1) + 1e-12
        standard = ((per_channel - mean[:, None]) / std[:, None]).flatten()
        keep = CANDIDATES_PER_IMAGE * len(calibration) / standard.numel()
        threshold = torch.quantile(standard[::7], 1 - keep).item()  # a subsample is plenty
        cls.weight.mul_((SCORE_GAIN / std)[:, None, None, None])
        cls.bias.copy_(math.log(0.05 / 0.95) - SCORE_GAIN * (threshold + mean / std))
    return model


class _Archived(__import__("torch").nn.Module):
    """What gets traced and saved: the model's modules under their reference names."""

    def __init__(self, model):
        super().__init__()
        self.backbone, self.head = model.backbone, model.head

    def forward(self, images):
        features = self.backbone(images)
        return ([self.head.classification_head(f) for f in features],
                [self.head.regression_head(f) for f in features])


def save_archive(model, path: Path) -> None:
    """A TorchScript archive like the upstream checkpoint (loaded back without running it)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(_Archived(model), torch.zeros(1, 3, 64, 64), check_trace=False)
        torch.jit.save(traced, str(path))


def detect(model, folder: Path, images: list[dict]) -> list[dict]:
    """The model's detections per image, computed directly (no LoadGen, no harness)."""
    import torch

    from .preprocess import preprocess

    batch = torch.from_numpy(np.stack([preprocess(str(folder / i["file_name"])) for i in images]))
    with torch.inference_mode():
        return [{k: v.numpy() for k, v in d.items()} for d in model(batch)]


def objects_from(found: dict, image: dict, limit: int) -> list[dict]:
    """The best ``limit`` detections of one image as ground-truth objects in image pixels."""
    sx, sy = image["width"] / 800.0, image["height"] / 800.0
    out = []
    for (x1, y1, x2, y2), label in zip(found["boxes"][:limit].astype(np.float64), found["labels"][:limit]):
        out.append({"category_id": int(label), "bbox": [x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy]})
    return out


def random_objects(rng: np.random.Generator, image: dict, count: int) -> list[dict]:
    out = []
    for _ in range(count):
        w, h = rng.uniform(20, image["width"] / 2), rng.uniform(20, image["height"] / 2)
        x, y = rng.uniform(0, image["width"] - w), rng.uniform(0, image["height"] - h)
        out.append({"category_id": int(rng.integers(0, DEMO_SHAPE["num_classes"])), "bbox": [x, y, w, h]})
    return out


def write_annotations(path: Path, images: list[dict], objects: dict[int, list[dict]]) -> None:
    """openimages-mlperf.json in upstream's layout; ``objects`` maps image id -> objects
    (``category_id``, ``bbox`` x, y, w, h, optional ``iscrowd``)."""
    annotations = []
    for image in images:
        for obj in objects.get(image["id"], []):
            crowd = int(obj.get("iscrowd", 0))
            annotations.append({"id": len(annotations) + 1, "image_id": image["id"], "category_id": obj["category_id"],
                                "bbox": obj["bbox"], "area": obj["bbox"][2] * obj["bbox"][3], "iscrowd": crowd,
                                "IsOccluded": 0, "IsInside": 0, "IsDepiction": 0, "IsTruncated": 0,
                                "IsGroupOf": crowd})
    data = {"info": {"dataset": "openimages_mlperf", "version": "v6"}, "licenses": [],
            "categories": [{"id": i, "name": n, "supercategory": None} for i, n in enumerate(CLASSES)],
            "images": images, "annotations": annotations}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))



def write_manifest(folder: Path, count: int, annotations: Path) -> Path:
    manifest = {
        "demo": True,
        "count": count,
        "note": "random weights on generated images",
        "artifacts": {
            "weights": {"path": "retinanet_tiny.pth", "sha256": file_digest(folder / "retinanet_tiny.pth", "sha256")},
            "annotations": {"path": str(annotations.relative_to(folder)), "sha256": file_digest(annotations, "sha256")},
            "images": {"path": "validation/data"},
        },
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def build(folder, count: int = 8, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("count") == count:
        return manifest
    image_dir = folder / "validation" / "data"
    images = write_images(image_dir, count, seed)
    model = build_model(seed, [image_dir / i["file_name"] for i in images[:2]])
    save_archive(model, folder / "retinanet_tiny.pth")
    rng = np.random.default_rng(seed + 1)
    found = detect(model, image_dir, images)
    objects = {}
    for n, (image, dets) in enumerate(zip(images, found)):
        objects[image["id"]] = objects_from(dets, image, 5) if n % 4 != 3 else random_objects(rng, image, 2)
    objects[images[0]["id"]].append({**random_objects(rng, images[0], 1)[0], "iscrowd": 1})
    annotations = folder / "annotations" / "openimages-mlperf.json"
    write_annotations(annotations, images, objects)
    return write_manifest(folder, count, annotations)
