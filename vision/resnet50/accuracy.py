"""``python -m harness accuracy resnet``: upstream accuracy-imagenet.py's flags and printed lines,
so logs from any MLPerf harness can be scored and compared digit for digit."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.codecs import ArrayCodec, Responses

from .benchmark import BENCHMARK
from .dataset import read_val_map
from .metric import DTYPES, score_responses


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness accuracy resnet",
                                     description="Top-1 accuracy of a LoadGen accuracy log.")
    parser.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    parser.add_argument("--imagenet-val-file", required=True, help="path to imagenet val_map.txt")
    parser.add_argument("--verbose", action="store_true", help="print every miss and the duplicate count")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES), help="dtype of the logged class")
    parser.add_argument("--json", metavar="PATH", help="also write the metrics as JSON to PATH")
    args = parser.parse_args(argv)
    items = read_val_map(args.imagenet_val_file)
    responses = Responses(args.mlperf_accuracy_file, ArrayCodec(args.dtype), size=len(items),
                          max_bytes=BENCHMARK.max_response_bytes)
    score = score_responses(responses, [n for n, _ in items], [label for _, label in items], verbose=args.verbose)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "acc": score.values["acc"], "good": score.details["good"], "total": score.scored,
            "duplicates": score.duplicates, "line": score.lines[0]}, indent=2) + "\n")
    return 0
