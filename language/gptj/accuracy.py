"""``python -m harness accuracy gpt-j``: exactly the reference evaluation.py's flags, and its output.

What the reference downloads comes from where a run gets it (language.llm.command): the tokenizer
is ``EleutherAI/gpt-j-6B`` from the local Hugging Face cache (read offline, as the reference
loads it), else the GPT-J checkpoint in DATA_DIR; nltk's punkt_tab is the verified artifact in
DATA_DIR; ROUGE runs in WORKERS processes.
"""

from __future__ import annotations

import argparse

from harness.codecs import ArrayCodec, Responses
from harness.config import RunConfig
from harness.errors import MissingArtifactError
from language.llm import command
from language.llm.report import print_score
from language.llm.tokenizers import load_tokenizer

from .benchmark import BENCHMARK
from .dataset import read_records
from .metric import DTYPES, score_responses

HUB_NAME = "EleutherAI/gpt-j-6B"  # what the reference's evaluation.py loads


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy gpt-j",
                                description="ROUGE and GEN_LEN of a GPT-J LoadGen accuracy log.")
    p.add_argument("--mlperf-accuracy-file", required=True, help="path to mlperf_log_accuracy.json")
    p.add_argument("--dataset-file", required=True, help="path to cnn_eval.json")
    p.add_argument("--verbose", action="store_true", help="verbose messages")
    p.add_argument("--dtype", default="int64", choices=DTYPES, help="dtype of the accuracy log")
    return p


def gptj_tokenizer(run_config: RunConfig):
    """The reference's tokenizer from the Hugging Face cache, else from the checkpoint in DATA_DIR."""
    try:
        return load_tokenizer(HUB_NAME)
    except OSError:
        pass
    try:
        folder = command.artifact(BENCHMARK, run_config, "model").path
    except MissingArtifactError as exc:
        raise MissingArtifactError(
            f"no GPT-J tokenizer: {HUB_NAME} is not in the Hugging Face cache (HF_HOME; read offline) and the "
            f"checkpoint is not in DATA_DIR. Put the tokenizer in the cache (e.g. `hf download {HUB_NAME} "
            f"--include '*.json' '*.txt'`) or the checkpoint in DATA_DIR:\n{exc}") from None
    return load_tokenizer(folder)


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    run_config = command.settings(BENCHMARK)
    targets = [record["output"] for record in read_records(args.dataset_file)]
    split = command.splitter(BENCHMARK, run_config)
    responses = Responses(args.mlperf_accuracy_file, ArrayCodec(args.dtype), size=len(targets))
    score = score_responses(responses, targets, gptj_tokenizer(run_config), split, run_config.workers)
    print_score(score, args.verbose)
    return 0
