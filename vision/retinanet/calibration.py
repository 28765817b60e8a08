"""Build the MLPerf OpenImages calibration set (500 Open Images V6 training images).

    python -m vision.retinanet.build_dataset --dataset-dir DATA_DIR/openimages --calibration

The set is for calibrating quantised models (activation ranges); accuracy runs never read it.
Sources, all public: MLCommons' list of the 500 image names
(``calibration/openimages/openimages_cal_images_list.txt`` in mlcommons/inference, pinned to a
commit and checked by sha256), the training box annotations and the class names (Google Storage),
and the images from the ``train/`` folder of the public ``open-images-dataset`` bucket over plain
HTTPS. The result has upstream's layout (``tools/openimages_calibration_mlperf.sh``):

    <dir>/annotations/openimages-calibration-mlperf.json
    <dir>/annotations/{openimages_cal_images_list.txt, oidv6-train-annotations-bbox.csv,
                       class-descriptions-boxable.csv}
    <dir>/calibration/data/<ImageID>.jpg

The JSON has the same structure as openimages-mlperf.json; as upstream, it lists only the
calibration images that have a box of one of the 264 classes, numbered 1..N in the order they
first occur in the CSV, with boxes numbered 1..M in CSV order. Re-running resumes: files
already present are kept (the list is re-checked against its sha256) and only the JSON is rewritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.fetch import FetchError

from . import openimages

UPSTREAM_COMMIT = "f9a643c0a0e920588da1b51a1d822e1071a9dbec"
LIST_URL = ("https://raw.githubusercontent.com/mlcommons/inference/" + UPSTREAM_COMMIT
            + "/calibration/openimages/openimages_cal_images_list.txt")
LIST_SHA256 = "f5c20ee508bf9449ac26e4db6c6035760e31385a3deefb1856ad47dbe5b0d7be"
LIST_COUNT = 500
BOXES_URL = "https://storage.googleapis.com/openimages/v6/oidv6-train-annotations-bbox.csv"
CLASSES_URL = openimages.CLASSES_URL
IMAGE_URL = "https://open-images-dataset.s3.amazonaws.com/train/{}.jpg"
OUTPUT = "openimages-calibration-mlperf.json"
_NAME = re.compile(r"[0-9a-f]{16}\.jpg")


def read_list(path: Path, count: int | None = LIST_COUNT) -> list[str]:
    """ImageIDs of the calibration list (one ``<ImageID>.jpg`` per line), in list order.

    Malformed or repeated names, or a count other than ``count`` (when given), are errors.
    """
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    bad = [n for n in names if not _NAME.fullmatch(n)]
    if bad:
        raise FetchError(f"{path}: not an Open Images name (16 hex digits + .jpg): {bad[0]!r}")
    if len(set(names)) != len(names):
        raise FetchError(f"{path}: some names are listed twice")
    if count is not None and len(names) != count:
        raise FetchError(f"{path}: {len(names)} names, expected {count}")
    return [n[: -len(".jpg")] for n in names]


def build(dataset_dir: Path, workers: int = 16, *, list_url: str = LIST_URL, list_sha256: str | None = LIST_SHA256,
          list_count: int | None = LIST_COUNT, boxes_url: str = BOXES_URL, classes_url: str = CLASSES_URL,
          image_url: str = IMAGE_URL) -> Path:
    """Fetch what is missing and write ``annotations/openimages-calibration-mlperf.json``; returns its path."""
    notes = dataset_dir / "annotations"
    listed = read_list(openimages.fetch(list_url, notes / "openimages_cal_images_list.txt", sha256=list_sha256),
                       list_count)
    boxes = openimages.fetch(boxes_url, notes / "oidv6-train-annotations-bbox.csv")
    classes = openimages.fetch(classes_url, notes / "class-descriptions-boxable.csv")
    rows = openimages.box_rows(boxes, classes, images=set(listed))
    paths = openimages.fetch_images(listed, image_url, dataset_dir / "calibration" / "data", workers)
    sizes = openimages.image_sizes(paths, workers)  # every listed image must decode, boxed or not
    out = openimages.write_json(openimages.coco_annotations(rows, sizes), notes / OUTPUT)
    boxed = len({r["ImageID"] for r in rows})
    unboxed = f"; {len(listed) - boxed} listed image(s) have no box of the 264 classes and are not in the JSON" \
        if boxed < len(listed) else ""
    print(f"{len(listed)} calibration images, {boxed} with {len(rows)} boxes -> {out}{unboxed}")
    return out
