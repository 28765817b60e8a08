"""``python -m harness accuracy gpt-j``: the flags of the reference's evaluation.py and its output.

Added flags, because the reference reaches the network: ``--model-path`` (the folder with the
GPT-J tokenizer; the reference loads "EleutherAI/gpt-j-6B" from the Hub), ``--punkt`` (nltk's
punkt_tab.zip, verified; the reference calls nltk.download) and ``--workers`` (ROUGE processes).
"""

from __future__ import annotations

import argparse

from harness.codecs import read_accuracy_log
from language.llm import rouge, sentences
from language.llm.report import print_score

from .dataset import load_tokenizer, read_records
from .metric import DTYPES, score_entries


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy gpt-j",
                                description="ROUGE and GEN_LEN of a GPT-J LoadGen accuracy log.")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--dataset-file", required=True, help="path to cnn_eval.json")
    p.add_argument("--verbose", action="store_true", help="verbose messages")
    p.add_argument("--dtype", default="int64", choices=DTYPES, help="dtype of the accuracy log")
    p.add_argument("--model-path", required=True, help="folder with the GPT-J tokenizer files")
    sentences.add_flags(p)
    p.add_argument("--workers", type=int, default=rouge.default_workers(), help="ROUGE worker processes")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    split = sentences.from_flags(args)
    targets = [record["output"] for record in read_records(args.dataset_file)]
    score = score_entries(read_accuracy_log(args.mlperf_accuracy_file), targets, load_tokenizer(args.model_path),
                          split, args.dtype, max(1, args.workers))
    print_score(score, args.verbose)
    return 0
