"""``python -m harness accuracy mixtral``: the flags of the reference's evaluate-accuracy.py.

Added flags: ``--dataset-sha256`` (the pickle is unpickled only if its hash matches), ``--punkt``
and ``--punkt-sha256`` (nltk's punkt_tab.zip, verified; the reference calls nltk.download).
``--checkpoint-path`` is the folder with the Mixtral tokenizer; ``--n_workers`` also sets the
ROUGE processes. MBXP per-language counts go to stderr; stdout is the reference's result block.
"""

from __future__ import annotations

import argparse

from harness.codecs import read_accuracy_log
from language.llm import sentences
from language.llm.report import print_score

from .dataset import load_tokenizer, read_verified_pickle
from .metric import DTYPES, score_entries


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy mixtral",
                                description="ROUGE, GSM8K, MBXP and tokens per sample of a Mixtral accuracy log.")
    p.add_argument("--checkpoint-path", required=True, help="folder with the Mixtral tokenizer files")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--dataset-file", required=True, help="path to the 15k dataset pickle")
    p.add_argument("--n_workers", default=2, type=int, help="workers for MBXP (and ROUGE)")
    p.add_argument("--verbose", action="store_true", help="verbose messages")
    p.add_argument("--dtype", default="int64", choices=DTYPES, help="dtype of the accuracy log")
    p.add_argument("--dataset-sha256", required=True, help="expected sha256 of --dataset-file")
    sentences.add_flags(p)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    split = sentences.from_flags(args)
    frame = read_verified_pickle(args.dataset_file, args.dataset_sha256)
    score = score_entries(read_accuracy_log(args.mlperf_accuracy_file), frame, load_tokenizer(args.checkpoint_path),
                          split, args.dtype, max(1, args.n_workers))
    print_score(score, args.verbose,
                (f"MBXP passed {score.details['mbxp_passed']} of {score.details['mbxp_counts']}",))
    return 0
