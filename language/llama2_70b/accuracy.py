"""``python -m harness accuracy llama2``: the flags of the reference's evaluate-accuracy.py and its output.

Added flags, because the reference reaches the network: ``--punkt`` (nltk's punkt_tab.zip,
verified; the reference calls nltk.download), ``--punkt-sha256`` and ``--workers`` (ROUGE
processes). ``--dataset-sha256`` is the checksum the pickle must match before it is unpickled.
"""

from __future__ import annotations

import argparse

from harness.codecs import read_accuracy_log
from language.llm import rouge, sentences
from language.llm.report import print_score

from .dataset import load_tokenizer, read_frame
from .metric import DTYPES, score_entries


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy llama2",
                                description="ROUGE and tokens per sample of a Llama-2-70B LoadGen accuracy log.")
    p.add_argument("--checkpoint-path", required=True, help="folder with the Llama-2 tokenizer files")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--dataset-file", required=True, help="path to the processed OpenOrca pickle")
    p.add_argument("--verbose", action="store_true", help="verbose messages")
    p.add_argument("--dtype", default="int64", choices=list(DTYPES), help="dtype of the accuracy log")
    p.add_argument("--dataset-sha256", required=True, help="sha256 the pickle must have before it is opened")
    sentences.add_flags(p)
    p.add_argument("--workers", type=int, default=rouge.default_workers(), help="ROUGE worker processes")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    targets = [str(t) for t in read_frame(args.dataset_file, {"sha256": args.dataset_sha256})["output"]]
    split = sentences.from_flags(args)
    score = score_entries(read_accuracy_log(args.mlperf_accuracy_file), targets,
                          load_tokenizer(args.checkpoint_path), split, args.dtype, max(1, args.workers))
    print_score(score, args.verbose)
    return 0
