"""Build the MLPerf OpenImages validation subset from public Open Images V6 files, with the file
helpers the calibration set shares (the command line is ``build_dataset.py``).

``build`` fetches the box annotations and the class names (Google Storage), downloads every
validation image with a box of one of the 264 MLPerf classes (the public ``open-images-dataset``
S3 bucket over plain HTTPS, no credentials), then writes ``annotations/openimages-mlperf.json`` as
upstream's ``tools/openimages.py`` does: images sorted by ImageID with ids 1..N, height and width
as OpenCV decodes the file, boxes in pixels ``[XMin*W, YMin*H, (XMax-XMin)*W, (YMax-YMin)*H]``,
``iscrowd = IsGroupOf``, ``category_id`` = position in the MLPerf class list. Downloads resume:
finished files are kept, partial ones are continued, and every file is moved into place only
once complete. Layout: ``<dir>/annotations/*.csv, openimages-mlperf.json`` and
``<dir>/validation/data/<ImageID>.jpg``.
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.fetch import FetchError, download
from harness.hashing import verify

from .classes import CLASSES

BOXES_URL = "https://storage.googleapis.com/openimages/v5/validation-annotations-bbox.csv"
CLASSES_URL = "https://storage.googleapis.com/openimages/v5/class-descriptions-boxable.csv"
IMAGE_URL = "https://open-images-dataset.s3.amazonaws.com/validation/{}.jpg"
FLAGS = ("IsOccluded", "IsInside", "IsDepiction", "IsTruncated", "IsGroupOf")


def fetch(url: str, target: Path, sha256: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` to ``target`` unless it is there (checked against ``sha256`` when given).

    The transfer goes to ``<target>.part`` (continued on the next call if cut) and is moved into
    place only when complete and verified, so ``target`` is never half written.
    """
    if target.is_file():
        if sha256:
            verify(target, sha256=sha256)
        return target
    return download(url, target, sha256=sha256, progress=progress)


def fetch_images(image_ids: list[str], url_template: str, folder: Path, workers: int) -> list[Path]:
    """Fetch ``<folder>/<ImageID>.jpg`` for every id not yet there; one error names every failure."""

    def one(image_id: str) -> str | None:
        try:
            fetch(url_template.format(image_id), folder / f"{image_id}.jpg", progress=False)
        except FetchError as exc:
            return f"{image_id}: {exc}"
        return None

    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        failed = [problem for problem in pool.map(one, image_ids) if problem]
    if failed:
        shown = "\n  ".join(failed[:10]) + (f"\n  ... and {len(failed) - 10} more" if len(failed) > 10 else "")
        raise FetchError(f"{len(failed)} of {len(image_ids)} images could not be fetched into {folder}:\n  "
                         f"{shown}\nImages already fetched are kept; run the same command again to retry.")
    return [folder / f"{image_id}.jpg" for image_id in image_ids]


def mlperf_categories(classes_csv: Path) -> dict[str, int]:
    """Open Images LabelName -> MLPerf category_id (position of its DisplayName in CLASSES)."""
    with classes_csv.open(newline="") as handle:
        label_of = {row[1]: row[0] for row in csv.reader(handle) if len(row) >= 2}
    return {label_of[name]: i for i, name in enumerate(CLASSES) if name in label_of}


def box_rows(boxes_csv: Path, classes_csv: Path, images: set[str] | None = None) -> list[dict]:
    """Box rows of the 264 classes in file order, each with its ``category_id``.

    ``images`` keeps only rows of those ImageIDs; lines of other images are skipped before they
    are parsed, which keeps a pass over the 2 GB training CSV short.
    """
    category = mlperf_categories(classes_csv)
    rows = []
    with boxes_csv.open(newline="") as handle:
        header = next(csv.reader([handle.readline()]))
        lines = handle
        if images is not None and header[:1] == ["ImageID"]:
            lines = (line for line in handle if line.partition(",")[0] in images)
        for values in csv.reader(lines):
            row = dict(zip(header, values))
            if row.get("LabelName") in category and (images is None or row["ImageID"] in images):
                rows.append(dict(row, category_id=category[row["LabelName"]]))
    return rows


def mlperf_rows(boxes_csv: Path, classes_csv: Path) -> list[dict]:
    """Box rows of the 264 classes, each with its ``category_id``, sorted (stably) by ImageID."""
    return sorted(box_rows(boxes_csv, classes_csv), key=lambda row: row["ImageID"])


def coco_annotations(rows: list[dict], sizes: dict[str, tuple[int, int]]) -> dict:
    """The openimages-mlperf.json structure; ``sizes`` maps ImageID -> (height, width).

    Images are numbered 1..N in the order they first occur in ``rows``, annotations 1..M in row order.
    """
    ids = {image_id: n for n, image_id in enumerate(dict.fromkeys(r["ImageID"] for r in rows), 1)}
    images = [{"id": n, "file_name": f"{i}.jpg", "height": sizes[i][0], "width": sizes[i][1], "license": None,
               "coco_url": None} for i, n in ids.items()]
    annotations = []
    for row in rows:
        height, width = sizes[row["ImageID"]]
        x0, x1, y0, y1 = (float(row[k]) for k in ("XMin", "XMax", "YMin", "YMax"))
        bbox = [x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height]
        flags = {k: int(row[k]) for k in FLAGS}
        annotations.append({"id": len(annotations) + 1, "image_id": ids[row["ImageID"]],
                            "category_id": row["category_id"], "bbox": bbox, "area": bbox[2] * bbox[3],
                            "iscrowd": flags["IsGroupOf"], **flags})
    return {"info": {"dataset": "openimages_mlperf", "version": "v6"}, "licenses": [],
            "categories": [{"id": i, "name": n, "supercategory": None} for i, n in enumerate(CLASSES)],
            "images": images, "annotations": annotations}


def image_size(path: Path) -> tuple[int, int]:
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"OpenCV cannot decode {path}; delete it and run again to fetch it anew")
    return int(image.shape[0]), int(image.shape[1])


def image_sizes(paths: list[Path], workers: int) -> dict[str, tuple[int, int]]:
    """ImageID -> (height, width) as OpenCV decodes each file; an undecodable file is an error."""
    with ThreadPoolExecutor(max(1, workers)) as pool:
        return dict(zip((p.stem for p in paths), pool.map(image_size, paths)))


def write_json(data: dict, out: Path) -> Path:
    """Write ``data`` to ``out`` through a temporary file, so ``out`` is old or new, never partial."""
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(data))
    tmp.replace(out)
    return out


def build(dataset_dir: Path, workers: int = 16, image_url: str = IMAGE_URL,
          boxes_url: str = BOXES_URL, classes_url: str = CLASSES_URL) -> Path:
    """Fetch what is missing and write the annotation file; returns its path."""
    notes = dataset_dir / "annotations"
    rows = mlperf_rows(fetch(boxes_url, notes / "validation-annotations-bbox.csv"),
                       fetch(classes_url, notes / "class-descriptions-boxable.csv"))
    image_ids = sorted({r["ImageID"] for r in rows})
    paths = fetch_images(image_ids, image_url, dataset_dir / "validation" / "data", workers)
    out = write_json(coco_annotations(rows, image_sizes(paths, workers)), notes / "openimages-mlperf.json")
    print(f"{len(image_ids)} images, {len(rows)} boxes -> {out}")
    return out
