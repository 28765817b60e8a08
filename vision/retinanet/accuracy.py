"""``python -m harness accuracy retinanet``: upstream accuracy-openimages.py's flags and printed
lines, so logs from any MLPerf harness can be scored and compared digit for digit.

Like upstream, the annotation file is ``<openimages-dir>/annotations/openimages-mlperf.json``
unless the environment variable DATASET_ANNOTATIONS_FILE_PATH names another, and every detection
is written to --output-file before scoring.
"""

from __future__ import annotations

import argparse
import json
import os

from harness.codecs import Responses

from .codec import CODEC
from .metric import load_ground_truth, score_responses


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness accuracy retinanet",
                                     description="COCO mAP of a RetinaNet LoadGen accuracy log.")
    parser.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    parser.add_argument("--openimages-dir", required=True, help="openimages directory")
    parser.add_argument("--verbose", action="store_true", help="verbose messages")
    parser.add_argument("--output-file", default="openimages-results.json", help="path to output file")
    parser.add_argument("--use-inv-map", action="store_true", help="use inverse label map")
    args = parser.parse_args(argv)
    annotations = os.environ.get("DATASET_ANNOTATIONS_FILE_PATH") or os.path.join(
        args.openimages_dir, "annotations/openimages-mlperf.json")
    coco_gt = load_ground_truth(annotations)
    label_map = [0] + coco_gt.getCatIds() if args.use_inv_map else None
    responses = Responses(args.mlperf_accuracy_file, CODEC, size=len(coco_gt.dataset["images"]))

    def write(detections):
        with open(args.output_file, "w") as handle:
            json.dump(detections, handle, sort_keys=True, indent=4)

    score_responses(responses, coco_gt, verbose=args.verbose, label_map=label_map, image_dir=args.openimages_dir,
                    on_detections=write)
    return 0
