"""RetinaNet scoring throughput: ours (the log streamed and decoded by the harness's codec,
vectorised box scaling, results handed to pycocotools in memory, optionally COCOeval's per-image
evaluation in --workers processes) vs a straightforward implementation (the log loaded whole, a
Python loop per detection, the results round-tripped through a JSON file, one COCOeval), on the
same synthetic log file. Both must print the same mAP. Ratio > 1: ours scores more log entries
per second.

    python bench/retinanet_coco_scoring.py [--images 1500] [--detections 100] [--workers N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.codecs import Responses  # noqa: E402
from vision.retinanet import metric  # noqa: E402
from vision.retinanet.codec import CODEC  # noqa: E402


def synthetic(folder: Path, images: int, per_image: int, seed: int = 0) -> tuple[Path, Path]:
    """The annotation file and the accuracy log."""
    rng = np.random.default_rng(seed)
    imgs, anns, entries = [], [], []
    for i in range(images):
        h, w = int(rng.integers(300, 1200)), int(rng.integers(300, 1200))
        imgs.append({"id": i + 1, "file_name": f"{i:016x}.jpg", "height": h, "width": w, "license": None, "coco_url": None})
        dets = []
        for _ in range(8):
            bw, bh = rng.uniform(10, w / 3), rng.uniform(10, h / 3)
            x, y, cat = rng.uniform(0, w - bw), rng.uniform(0, h - bh), int(rng.integers(0, 264))
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": cat, "bbox": [x, y, bw, bh],
                         "area": bw * bh, "iscrowd": 0})
            jx, jy = rng.normal(0, 5, 2)
            dets.append([i, (y + jy) / h, (x + jx) / w, (y + bh) / h, (x + bw) / w, rng.uniform(0.3, 1), cat])
        while len(dets) < per_image:
            x1, y1 = rng.uniform(0, 0.8, 2)
            dets.append([i, y1, x1, y1 + 0.1, x1 + 0.1, rng.uniform(0.05, 0.6), int(rng.integers(0, 264))])
        dets.sort(key=lambda d: -d[5])
        entries.append({"seq_id": i, "qsl_idx": i, "data": np.asarray(dets, np.float32).tobytes().hex().upper()})
    gt = {"info": {}, "licenses": [], "images": imgs, "annotations": anns,
          "categories": [{"id": c, "name": f"c{c}", "supercategory": None} for c in range(264)]}
    annotations, log = folder / "openimages-mlperf.json", folder / "mlperf_log_accuracy.json"
    annotations.write_text(json.dumps(gt))
    log.write_text(json.dumps(entries))
    return annotations, log


def baseline(coco_gt, log: Path, folder: Path) -> float:
    """One process, one detection at a time, results through a JSON file (numpy-1 float64 scaling)."""
    from pycocotools.cocoeval import COCOeval

    images, detections, image_ids, seen = coco_gt.dataset["images"], [], set(), set()
    for entry in json.loads(log.read_text()):
        idx = entry["qsl_idx"]
        if idx in seen:
            continue
        seen.add(idx)
        data = np.frombuffer(bytes.fromhex(entry["data"]), np.float32)
        image = images[idx]
        for i in range(0, len(data) - 6, 7):
            _, ymin, xmin, ymax, xmax, score, label = (float(v) for v in data[i:i + 7])
            ymin, ymax, xmin, xmax = ymin * image["height"], ymax * image["height"], xmin * image["width"], xmax * image["width"]
            detections.append({"image_id": image["id"], "category_id": int(label), "score": score,
                               "bbox": [xmin, ymin, xmax - xmin, ymax - ymin]})
        image_ids.add(image["id"])
    results = folder / "results.json"
    results.write_text(json.dumps(detections, sort_keys=True, indent=4))
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = COCOeval(coco_gt, coco_gt.loadRes(str(results)), iouType="bbox")
        evaluator.params.imgIds = list(image_ids)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return float(evaluator.stats[0])


def ours(coco_gt, log: Path, workers: int) -> float:
    responses = Responses(log, CODEC, size=len(coco_gt.dataset["images"]))
    score = metric.score_responses(responses, coco_gt, out=lambda _: None, workers=workers)
    return score.details["stats"][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1500)
    parser.add_argument("--detections", type=int, default=100, help="detections per image")
    parser.add_argument("--workers", type=int, default=1, help="COCOeval processes for ours")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        annotations, log = synthetic(folder, args.images, args.detections)
        coco_gt = metric.load_ground_truth(annotations, out=lambda _: None)
        began = time.perf_counter()
        base_map = baseline(coco_gt, log, folder)
        base_s = time.perf_counter() - began
        coco_gt = metric.load_ground_truth(annotations, out=lambda _: None)  # loadRes added nothing to it, but be fair
        began = time.perf_counter()
        our_map = ours(coco_gt, log, args.workers)
        our_s = time.perf_counter() - began
    if our_map != base_map:
        raise SystemExit(f"different results: ours {our_map!r}, baseline {base_map!r}")
    rate_ours, rate_base = args.images / our_s, args.images / base_s  # one log entry per image
    print(f"{'scorer':<34}{'seconds':>10}{'entries/s':>12}  mAP")
    print(f"{'single process, per detection':<34}{base_s:>10.2f}{rate_base:>12.1f}  {100 * base_map:.3f}%")
    print(f"{f'ours ({args.workers} workers)':<34}{our_s:>10.2f}{rate_ours:>12.1f}  {100 * our_map:.3f}%")
    print(json.dumps({"bench": "retinanet_coco_scoring", "ours": round(rate_ours, 2), "baseline": round(rate_base, 2),
                      "ratio": round(rate_ours / rate_base, 3), "unit": "log entries/s"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
