"""``python -m harness accuracy mixtral``: exactly the reference evaluate-accuracy.py's flags, and its output.

The ids are decoded from ``--checkpoint-path``'s tokenizer.model as the reference's slow tokenizer
decodes them; ``--n_workers`` MBXP programs run at a time, as in the reference. What the reference
downloads comes from where a run gets it (language.llm.command): nltk's punkt_tab is the verified
artifact in DATA_DIR; ROUGE runs in WORKERS processes. The pickle is read with the allow-list
unpickler (harness.pickles), only the columns the scorer reads. MBXP per-language counts go
to stderr with --verbose; stdout is the reference's result block.
"""

from __future__ import annotations

import argparse

from harness.codecs import ArrayCodec, Responses
from language.llm import command
from harness.pickles import read_frame
from language.llm.report import print_score
from language.llm.tokenizers import SentencePieceDecoder

from .benchmark import BENCHMARK
from .dataset import SCORED_COLUMNS, WHAT
from .metric import score_responses


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy mixtral",
                                description="ROUGE, GSM8K, MBXP and tokens per sample of a Mixtral accuracy log.")
    p.add_argument("--checkpoint-path", required=True, help="Path to the Mixtral-8x7B-Instruct checkpoint")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--dataset-file", required=True, help="path to processed validation dataset")
    p.add_argument("--n_workers", default=2, type=int, help="Number of workers used for the MBXP evaluation")
    p.add_argument("--verbose", action="store_true", help="verbose messages")
    p.add_argument("--dtype", default="int64", choices=list(command.LOG_DTYPES), help="dtype of the accuracy log")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    run_config = command.settings(BENCHMARK)
    frame = read_frame(args.dataset_file, SCORED_COLUMNS, WHAT)
    decoder = SentencePieceDecoder.from_folder(args.checkpoint_path)
    split = command.splitter(BENCHMARK, run_config)
    responses = Responses(args.mlperf_accuracy_file, ArrayCodec(command.LOG_DTYPES[args.dtype]), size=len(frame))
    score = score_responses(responses, frame, decoder, split, run_config.workers, args.n_workers,
                            run_config.options["MBXP_SANDBOX"])
    print_score(score, args.verbose,
                (f"MBXP passed {score.details['mbxp_passed']} of {score.details['mbxp_counts']}",))
    return 0
