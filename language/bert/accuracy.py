"""``python -m harness accuracy bert``: the flags of the reference's accuracy-squad.py and its
result line, so a log from any MLPerf harness can be scored and compared digit for digit.

Differences, on purpose: ``--features_cache_file`` names a JSON cache of this harness (a pickle
is never loaded; by default the cache lies beside --val_data); ``--max_examples N`` scores the
first N questions and divides by the number scored (the reference scores N - 1 and divides by N);
questions whose features are not all in the log are left out and reported on stderr instead of
being answered "empty".
"""

from __future__ import annotations

import argparse
import sys

from harness.codecs import Responses

from . import feature_cache, squad
from .codec import DTYPES, StartEndLogitsCodec
from .metric import last_responses, score_logits, write_predictions


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness accuracy bert",
                                description="SQuAD v1.1 exact match and F1 of a BERT LoadGen accuracy log.")
    p.add_argument("--vocab_file", default="build/data/bert_tf_v1_1_large_fp32_384_v2/vocab.txt",
                   help="path to vocab.txt")
    p.add_argument("--val_data", default="build/data/dev-v1.1.json", help="path to dev-v1.1.json")
    p.add_argument("--log_file", default="build/logs/mlperf_log_accuracy.json",
                   help="path to the LoadGen accuracy log")
    p.add_argument("--out_file", default="build/result/predictions.json",
                   help="where to write the predictions {question id: answer}")
    p.add_argument("--features_cache_file", default=None,
                   help="feature cache (JSON) to read or write; default: beside --val_data")
    p.add_argument("--output_transposed", action="store_true",
                   help="responses hold all start logits, then all end logits")
    p.add_argument("--output_dtype", default="float32", choices=DTYPES, help="dtype of the logged logits")
    p.add_argument("--max_examples", type=int, help="score only the first N questions")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.max_examples is not None and args.max_examples < 1:
        raise ValueError(f"--max_examples {args.max_examples}: give a positive number of questions")
    _, examples = squad.read_examples(args.val_data)
    print(f"Read {len(examples)} questions from {args.val_data}")
    features = feature_cache.load_or_build(examples, args.val_data, args.vocab_file, args.features_cache_file,
                                           log=lambda text: print(text.strip()))
    codec = StartEndLogitsCodec(args.output_dtype, transposed=args.output_transposed)
    logits, duplicates = last_responses(Responses(args.log_file, codec, size=len(features)))
    print(f"Scoring {len(logits) + duplicates} responses from {args.log_file}")
    score, predicted = score_logits(logits, examples, features, args.max_examples, duplicates)
    print(f"Writing predictions to: {args.out_file}")
    write_predictions(args.out_file, predicted)
    for note in score.notes:
        print(f"note: {note}", file=sys.stderr)
    for line in score.lines:
        print(line)
    return 0
