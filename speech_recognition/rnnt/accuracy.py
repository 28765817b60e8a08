"""``python -m harness accuracy rnnt``: upstream accuracy_eval.py's flags and printed line, so logs
from any MLPerf harness can be scored and compared digit for digit."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.codecs import ArrayCodec, Responses

from . import librispeech, text
from .metric import DTYPES, score_transcripts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness accuracy rnnt",
                                     description="Word error rate of a LoadGen accuracy log.")
    parser.add_argument("--log_dir", required=True, help="folder holding mlperf_log_accuracy.json")
    parser.add_argument("--dataset_dir", required=True,
                        help="folder the manifest's file names are relative to (not read for scoring)")
    parser.add_argument("--manifest", required=True, help="dev-clean-wav.json")
    parser.add_argument("--output_dtype", default="int64", choices=DTYPES, help="dtype of the logged ids")
    parser.add_argument("--json", metavar="PATH", help="also write the metrics as JSON to PATH")
    args = parser.parse_args(argv)
    references = [text.normalize(u.transcript) for u in librispeech.read_manifest(args.manifest)]
    responses = Responses(Path(args.log_dir) / "mlperf_log_accuracy.json", ArrayCodec(args.output_dtype),
                          size=len(references))
    score = score_transcripts(responses.every(), references)
    print(score.lines[0])
    if args.json:
        Path(args.json).write_text(json.dumps({
            "accuracy": score.values["WER"], **score.details, "scored": score.scored,
            "duplicates": score.duplicates, "line": score.lines[0]}, indent=2) + "\n")
    return 0
