"""``python -m harness accuracy llama2``: exactly the reference evaluate-accuracy.py's flags, and its output.

The ids are decoded from ``--checkpoint-path``'s tokenizer.model as the reference's slow tokenizer
decodes them. What the reference downloads comes from where a run gets it (language.llm.command):
nltk's punkt_tab is the verified artifact in DATA_DIR; ROUGE runs in WORKERS processes. The
pickle is read with the allow-list unpickler (harness.pickles), only its ``output`` column.
"""

from __future__ import annotations

import argparse

from harness.codecs import ArrayCodec, Responses
from language.llm import command
from harness.pickles import read_frame
from language.llm.report import print_score
from language.llm.tokenizers import SentencePieceDecoder

from .benchmark import BENCHMARK
from .dataset import WHAT
from .metric import score_responses


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy llama2",
                                description="ROUGE and tokens per sample of a Llama-2-70B LoadGen accuracy log.")
    p.add_argument("--checkpoint-path", required=True, help="Path to Llama2-70b-hf-chat checkpoint")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--dataset-file", required=True, help="path to processed openorca validation set")
    p.add_argument("--verbose", action="store_true", help="verbose messages")
    p.add_argument("--dtype", default="int64", choices=list(command.LOG_DTYPES), help="dtype of the accuracy log")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    run_config = command.settings(BENCHMARK)
    targets = [str(t) for t in read_frame(args.dataset_file, ("output",), WHAT)["output"]]
    decoder = SentencePieceDecoder.from_folder(args.checkpoint_path)
    split = command.splitter(BENCHMARK, run_config)
    responses = Responses(args.mlperf_accuracy_file, ArrayCodec(command.LOG_DTYPES[args.dtype]), size=len(targets))
    print_score(score_responses(responses, targets, decoder, split, run_config.workers), args.verbose)
    return 0
