"""``python -m harness accuracy retinanet``: upstream accuracy-openimages.py's flags and printed
lines, so logs from any MLPerf harness can be scored and compared digit for digit.

Like upstream, the annotation file is ``<openimages-dir>/annotations/openimages-mlperf.json``
unless the environment variable DATASET_ANNOTATIONS_FILE_PATH names another, and every detection
is written to --output-file before scoring. ``--workers`` (ours) spreads COCOeval's per-image
evaluation over processes; the numbers do not change.
"""

from __future__ import annotations

import argparse
import json
import os

from harness.codecs import read_accuracy_log

from .metric import load_ground_truth, score_entries


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness accuracy retinanet",
                                     description="COCO mAP of a RetinaNet LoadGen accuracy log.")
    parser.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    parser.add_argument("--openimages-dir", required=True, help="openimages directory")
    parser.add_argument("--verbose", action="store_true", help="verbose messages")
    parser.add_argument("--output-file", default="openimages-results.json", help="path to output file")
    parser.add_argument("--use-inv-map", action="store_true", help="use inverse label map")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for COCOeval's per-image evaluation (default 1; more pays off on "
                             "many idle cores and large logs)")
    args = parser.parse_args(argv)
    annotations = os.environ.get("DATASET_ANNOTATIONS_FILE_PATH") or os.path.join(
        args.openimages_dir, "annotations/openimages-mlperf.json")
    coco_gt = load_ground_truth(annotations)
    label_map = [0] + coco_gt.getCatIds() if args.use_inv_map else None
    entries = read_accuracy_log(args.mlperf_accuracy_file)

    def write(detections):
        with open(args.output_file, "w") as handle:
            json.dump(detections, handle, sort_keys=True, indent=4)

    score_entries(entries, coco_gt, verbose=args.verbose, workers=max(1, args.workers), label_map=label_map,
                  image_dir=args.openimages_dir, on_detections=write)
    return 0
