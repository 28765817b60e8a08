"""RetinaNet test fixture helpers: the demo set, the model's own detections, ground truth built
from them, and direct COCO scoring (pycocotools, no harness) for known answers."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
from conftest import sha256

FIXTURE_COUNT = 8


def build(folder: Path) -> dict:
    """The demo fixture plus the model's detections on every image, computed directly."""
    from vision.retinanet import demo, model

    manifest = demo.build(folder, count=FIXTURE_COUNT, seed=5)
    annotations = folder / "annotations" / "openimages-mlperf.json"
    images = json.loads(annotations.read_text())["images"]
    found = demo.detect(model.load(folder / "retinanet_tiny.pth"), folder / "validation" / "data", images)
    return {"folder": folder, "manifest": manifest, "images": images, "found": found}


def scaled_detections(fixture: dict, count: int) -> list[dict]:
    """What the reference scorer should see: box / 800 in float32, then x image size in float64."""
    out = []
    for image, found in zip(fixture["images"][:count], fixture["found"][:count]):
        for (x1, y1, x2, y2), score, label in zip(found["boxes"], found["scores"], found["labels"]):
            nx1, ny1, nx2, ny2 = (np.float64(np.float32(v) / np.float32(800)) for v in (x1, y1, x2, y2))
            w, h = image["width"], image["height"]
            out.append({"image_id": image["id"], "category_id": int(label), "score": float(np.float32(score)),
                        "bbox": [nx1 * w, ny1 * h, nx2 * w - nx1 * w, ny2 * h - ny1 * h]})
    return out


def direct_map(annotations: Path, detections: list[dict], image_ids) -> str:
    """The mAP line computed with pycocotools directly."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(annotations))
        evaluator = COCOeval(gt, gt.loadRes([dict(d) for d in detections]), iouType="bbox")
        evaluator.params.imgIds = list(image_ids)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return "mAP={:.3f}%".format(100.0 * evaluator.stats[0])


def write_truth(fixture: dict, where: Path, objects_per_image: dict[int, list[dict]]) -> Path:
    """A manifest over the fixture's images and model with this ground truth."""
    from vision.retinanet import demo

    annotations = where / "annotations" / "openimages-mlperf.json"
    demo.write_annotations(annotations, fixture["images"], objects_per_image)
    weights = fixture["folder"] / "retinanet_tiny.pth"
    manifest = {"artifacts": {
        "weights": {"path": str(weights), "sha256": sha256(weights)},
        "annotations": {"path": str(annotations), "sha256": sha256(annotations)},
        "images": {"path": str(fixture["folder"] / "validation" / "data")},
    }}
    path = where / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def truth_from_model(fixture: dict, best: int | None) -> dict[int, list[dict]]:
    """Ground truth equal to the model's detections (all of them, or the ``best`` per image)."""
    from vision.retinanet import demo

    return {image["id"]: demo.objects_from(found, image, best if best is not None else len(found["scores"]))
            for image, found in zip(fixture["images"], fixture["found"])}
