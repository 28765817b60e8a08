"""``python -m harness accuracy sdxl``: upstream accuracy_coco.py's flags and printed line.

Upstream downloads the CLIP and Inception weights while it scores and reads ``val2014.npz`` and
``sample_ids.txt`` beside itself; here every scoring file is an artifact of the declaration,
resolved as a run resolves it (``DATA_DIR``, ``MANIFEST`` for files elsewhere, ``OFFLINE``,
``DATA_SOURCE``): fetched on demand and verified before it is loaded. ``--caption-path`` and
``--statistics-path`` default to those artifacts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SCORING_ARTIFACTS = ("captions", "sample_ids", "clip_weights", "clip_vocab", "inception_weights", "statistics")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy sdxl",
                                description="CLIP score and FID of an SDXL LoadGen accuracy log.")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--caption-path", help="captions TSV (default: the captions artifact)")
    p.add_argument("--statistics-path", help="reference FID statistics .npz (default: the val2014.npz artifact)")
    p.add_argument("--verbose", action="store_true", help="accepted for compatibility")
    p.add_argument("--output-file", default="coco-results.json", help="path to output file")
    p.add_argument("--compliance-images-path", help="folder for the PNGs of the v4.1 sample ids (and captions.txt)")
    p.add_argument("--device", default="cpu", choices=["gpu", "cpu"])
    p.add_argument("--low_memory", action="store_true",
                   help="accepted for compatibility: the log is always streamed and Inception always batched")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    import torch

    from harness import artifacts
    from harness.codecs import UINT8, Responses

    from .benchmark import BENCHMARK
    from . import coco, scoring
    from .metric import score_responses

    given = {"statistics": args.statistics_path, "captions": args.caption_path}
    resolved = artifacts.for_scoring(BENCHMARK, [n for n in SCORING_ARTIFACTS if not given.get(n)])
    device = torch.device("cuda" if args.device == "gpu" and torch.cuda.is_available() else "cpu")
    scorers = scoring.load(resolved["clip_weights"].path, resolved["clip_vocab"].path,
                           resolved["inception_weights"].path,
                           args.statistics_path or resolved["statistics"].path, device)
    captions = coco.read_captions(args.caption_path or resolved["captions"].path)
    responses = Responses(args.mlperf_accuracy_file, UINT8, size=len(captions))
    score = score_responses(responses, captions, scorers, coco.read_sample_ids(resolved["sample_ids"].path),
                            args.compliance_images_path)
    print(score.lines[0])
    Path(args.output_file).write_text(json.dumps(score.values, sort_keys=True, indent=4))
    return 0
