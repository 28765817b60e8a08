"""mAP exactly as upstream's accuracy-openimages.py computes and prints it, with pycocotools.

- Responses come in log order, decoded as float32; the first per qsl_idx counts, later ones are
  dupes (upstream's "found N results" counts them too).
- qsl index i is the i-th image of the annotation file; a response shorter than one detection
  (7 floats) still adds its image to the evaluated set ("images with no results").
- Boxes are scaled by the image's JSON height and width in **float64**: upstream runs on numpy 1,
  where ``float32 * int`` promotes to float64; numpy 2 keeps float32 and moves the third decimal.
- COCOeval (bbox, default parameters) over only the images present in the log; the printed value
  is ``mAP=<100 * stats[0]:.3f>%``, the line the submission checker parses.

Differences, each where upstream fails: a log without any detection scores 0 (pycocotools'
``loadRes`` cannot take an empty list), a qsl_idx outside the annotation file is a clear error
(``Responses`` sized by the file), and trailing values short of a whole detection are ignored.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from harness.score import Score

from . import coco_parallel, codec


def coco_detections(responses, images: list[dict], label_map: list[int] | None = None, verbose=False,
                    out=print, image_dir: str = "") -> tuple[list[dict], set, dict]:
    """Detections (COCO result dicts, in log order), the evaluated image ids, and counts, from the
    decoded first responses (flat float32 arrays)."""
    detections: list[dict] = []
    image_ids: set = set()
    responded = no_results = 0
    for idx, values in responses:
        responded += 1
        image = images[idx]
        found = codec.detections(values)
        if len(found) == 0:
            image_ids.add(image["id"])  # an evaluated image with no detections: its objects are misses
            no_results += 1
            if verbose:
                out(f"no results: {image.get('coco_url')}, idx={idx}")
            continue
        for payload_idx in found[:, 0].astype(np.int64):
            if payload_idx != idx:
                out(f"ERROR: loadgen({idx}) and payload({payload_idx}) disagree on image_idx")
        scaled = found.astype(np.float64)  # numpy 1 promotion: float32 * int -> float64
        scaled[:, [1, 3]] *= image["height"]
        scaled[:, [2, 4]] *= image["width"]
        labels = found[:, 6].astype(np.int64)  # int() truncates toward zero, as upstream
        if label_map is not None:
            labels = np.asarray(label_map)[labels]
        loc = os.path.join(image_dir, "validation/data", image["file_name"])
        for (_, ymin, xmin, ymax, xmax, confidence, _), label in zip(scaled.tolist(), labels.tolist()):
            detections.append({"image_id": image["id"], "image_loc": loc, "category_id": label,
                               "bbox": [xmin, ymin, xmax - xmin, ymax - ymin], "score": confidence})
        image_ids.add(image["id"])
    counts = {"results": responded + responses.duplicates, "images": len(image_ids), "no_results": no_results,
              "dupes": responses.duplicates}
    return detections, image_ids, counts


def load_results(coco_gt, detections: list[dict]):
    """pycocotools' ``loadRes``; an empty result set becomes an empty (valid) COCO object."""
    from pycocotools.coco import COCO

    if detections:
        return coco_gt.loadRes(detections)
    empty = COCO()
    empty.dataset = {"images": list(coco_gt.dataset["images"]),
                     "categories": copy.deepcopy(coco_gt.dataset["categories"]), "annotations": []}
    empty.createIndex()
    return empty


def coco_map(coco_gt, detections: list[dict], image_ids: set, workers: int = 1, out=print) -> np.ndarray:
    """COCOeval bbox over ``image_ids``; returns the 12 summary statistics."""
    from pycocotools.cocoeval import COCOeval

    with coco_parallel.route_prints(out):
        coco_dt = load_results(coco_gt, detections)
        evaluator = COCOeval(coco_gt, coco_dt, iouType="bbox")
        evaluator.params.imgIds = list(image_ids)
    coco_parallel.evaluate(evaluator, workers, out)
    with coco_parallel.route_prints(out):
        evaluator.accumulate()
        evaluator.summarize()
    return np.asarray(evaluator.stats, dtype=np.float64)


def map_line(stats) -> str:
    return "mAP={:.3f}%".format(100.0 * float(stats[0]))


def score_responses(responses, coco_gt, verbose=False, out=print, workers: int = 1, label_map=None,
                    image_dir: str = "", on_detections=None) -> Score:
    """Score decoded first responses against a loaded ground truth; prints what upstream prints."""
    detections, image_ids, counts = coco_detections(responses, coco_gt.dataset["images"], label_map, verbose, out,
                                                    image_dir)
    if on_detections is not None:
        on_detections(detections)
    stats = coco_map(coco_gt, detections, image_ids, workers, out)
    line = map_line(stats)
    out(line)
    if verbose:
        out(f"found {counts['results']} results")
        out(f"found {counts['images']} images")
        out(f"found {counts['no_results']} images with no results")
        out(f"ignored {counts['dupes']} dupes")
    # The checker parses the printed value, so the verdict uses it rounded as printed.
    return Score(values={"mAP": round(100.0 * float(stats[0]), 3)}, lines=[line], scored=counts["images"],
                 duplicates=counts["dupes"],
                 details={"stats": [float(s) for s in stats], "detections": len(detections),
                          "images_without_detections": counts["no_results"],
                          "mAP_unrounded": 100.0 * float(stats[0])})


def load_ground_truth(annotations, out=print):
    from pycocotools.coco import COCO

    with coco_parallel.route_prints(out):
        return COCO(str(annotations))


def score(responses, dataset, run) -> Score:
    """The run's scorer, against the run's annotation file: the harness prints the result lines
    itself, so nothing is printed here."""
    quiet = lambda _line: None  # noqa: E731
    coco_gt = load_ground_truth(run.artifact_path("annotations"), quiet)
    # One process: on small machines forking for COCOeval cost more than it saved (see the bench).
    return score_responses(responses, coco_gt, out=quiet, workers=1)
