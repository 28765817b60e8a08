"""``python -m harness accuracy dlrm-v2``: the reference tools/accuracy-dlrm.py's flags and printed
lines, so logs from any MLPerf harness can be scored and compared digit for digit.

With ``--day-23-file`` the log holds predictions only; the labels are read from column 0 of the
raw tab-separated day_23 file in the order the aggregation trace gives (``start, end, count``
lines), as the reference does, but into a numpy array rather than a list of 89 M ints.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from harness.codecs import ArrayCodec, Responses

from .metric import DTYPES, GrowingArray, collect, score_collected


def trace_boundaries(path) -> np.ndarray:
    counts = [int(line.split(", ")[2]) for line in Path(path).read_text().splitlines() if line.strip()]
    return np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))


def day_23_labels(path, rows: int) -> np.ndarray:
    labels = GrowingArray(np.int64)
    chunk = []
    with open(path) as handle:
        for number, text in enumerate(handle):
            if number >= rows:
                break
            chunk.append(int(text.split("\t")[0]))
            if len(chunk) == 1 << 16:
                labels.extend(np.array(chunk, dtype=np.int64))
                chunk = []
    labels.extend(np.array(chunk, dtype=np.int64))
    return labels.view()


def targets_in_log_order(args, qsl_indices: list[int]) -> np.ndarray:
    print("Parsing aggregation trace file...")
    bounds = trace_boundaries(args.aggregation_trace_file)
    if len(bounds) != len(qsl_indices) + 1:
        print("Warning: number of samples in trace file ({}) does not match number of samples ({}) in "
              "loadgen accuracy log!".format(len(bounds) - 1, len(qsl_indices)))
    print("Parsing ground truth labels from day_23 file...")
    truth = day_23_labels(args.day_23_file, int(bounds[-1]))
    print("Re-ordering ground truth labels...")
    return np.concatenate([truth[bounds[i]:bounds[i + 1]] for i in qsl_indices]) if qsl_indices \
        else np.empty(0, np.int64)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness accuracy dlrm-v2",
                                     description="ROC AUC of a DLRM-v2 LoadGen accuracy log.")
    parser.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    parser.add_argument("--day-23-file", default=None,
                        help="raw day_23 file; when given, the log is taken to hold predictions only")
    parser.add_argument("--aggregation-trace-file", default=None,
                        help="dlrm_trace_of_aggregated_samples.txt (needed with --day-23-file)")
    parser.add_argument("--verbose", action="store_true", help="print every miss and the duplicate count")
    parser.add_argument("--dtype", default="float32", choices=DTYPES, help="data type of the logged values")
    parser.add_argument("--json", metavar="PATH", help="also write the metrics as JSON to PATH")
    args = parser.parse_args(argv)
    with_labels = args.day_23_file is None
    if not with_labels and not args.aggregation_trace_file:
        parser.error("--day-23-file needs --aggregation-trace-file")
    print("Assuming loadgen accuracy log {} ground truth labels.".format("contains" if with_labels else
                                                                         "does not contain"))
    print("Parsing loadgen accuracy log...")
    found = collect(Responses(args.mlperf_accuracy_file, ArrayCodec(args.dtype)), with_labels, args.verbose)
    labels = found.labels if with_labels else targets_in_log_order(args, found.qsl_indices)
    if labels.size != found.predictions.size:
        raise ValueError(f"{found.predictions.size} predictions but {labels.size} labels from the trace; "
                         "do the log and the trace file belong together?")
    print("Calculating AUC metric...")
    score = score_collected(found, labels)
    print(score.lines[0])
    if args.verbose:
        print("found and ignored {} query dupes".format(found.duplicates))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "AUC": score.values["AUC"], **score.details, "queries": score.scored,
            "duplicates": score.duplicates, "line": score.lines[0]}, indent=2) + "\n")
    return 0
