"""SQuAD scoring throughput: the harness's BERT scorer vs a straightforward single-process
implementation of the reference algorithm (per-response Python lists, sorted() for the top-20
starts and ends, every n-best entry projected back to text, softmax over the n-best), on the same
generated questions, features and accuracy log of random logits; both read the log file in the
timing. The result lines and answers are checked identical. Ratio > 1: ours is faster.

    python bench/bert_squad_scoring.py [--paragraphs 60] [--repeats 5]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.codecs import Responses  # noqa: E402
from language.bert import codec, demo, features, metric, predictions, squad, squad_eval  # noqa: E402
from language.bert.tokenization import wordpiece_tokenizer  # noqa: E402


def write_questions(path: Path, paragraphs: int) -> None:
    """SQuAD-like sizes: contexts of 80-300 words (a few longer), 5 questions each."""
    rng = np.random.default_rng(0)
    data = []
    for p in range(paragraphs):
        context = demo.paragraph(rng, int(rng.choice([80, 120, 160, 220, 300, 450])))
        qas = [demo.question(rng, context, f"{p:05d}{q}") for q in range(5)]
        data.append({"title": f"t{p}", "paragraphs": [{"context": context, "qas": qas}]})
    path.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")


def baseline(log: Path, examples, feats) -> tuple[str, dict[str, str]]:
    """The reference algorithm written plainly, one response and one candidate at a time."""
    results = {}
    for entry in json.loads(log.read_text()):
        pairs = np.frombuffer(bytes.fromhex(entry["data"]), np.float32).reshape(-1, 2)
        start, end = [-10000.0] * 384, [-10000.0] * 384
        start[:len(pairs)], end[:len(pairs)] = pairs[:, 0].tolist(), pairs[:, 1].tolist()
        results[entry["qsl_idx"]] = (start, end)

    def best(values):
        return [i for i, _ in sorted(enumerate(values), key=lambda x: x[1], reverse=True)[:20]]

    by_example = collections.defaultdict(list)
    for index, feature in enumerate(feats):
        by_example[feature.example_index].append((index, feature))
    answers = {}
    for example_index, example in enumerate(examples):
        candidates = []
        for index, feature in by_example[example_index]:
            start, end = results[index]
            for s in best(start):
                for e in best(end):
                    if feature.word_at(s) is None or feature.word_at(e) is None:
                        continue
                    if not feature.max_context[s - feature.doc_offset] or e < s or e - s + 1 > 30:
                        continue
                    candidates.append((start[s] + end[e], feature, s, e))
        candidates.sort(key=lambda c: c[0], reverse=True)
        nbest, seen = [], set()
        for score, feature, s, e in candidates:
            if len(nbest) >= 20:
                break
            text = predictions.answer_text(example, feature, s, e)
            if text not in seen:
                seen.add(text)
                nbest.append((text, score))
        if not nbest:
            nbest = [("empty", 0.0)]
        top = max(score for _, score in nbest)
        weights = [math.exp(score - top) for _, score in nbest]
        _probabilities = [w / sum(weights) for w in weights]  # the reference computes them too
        answers[example.qas_id] = nbest[0][0]
    result = squad_eval.evaluate([(e.qas_id, e.answers) for e in examples], answers)
    return squad_eval.result_line(result), answers


def harness_scorer(log: Path, examples, feats):
    """The harness's path: the log decoded by the codec, then the scorer's pure function."""
    logits, duplicates = metric.last_responses(Responses(log, codec.LOGITS, size=len(feats)))
    return metric.score_logits(logits, examples, feats, duplicates=duplicates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-bert-"))
    try:
        write_questions(work / "dev-v1.1.json", args.paragraphs)
        demo.write_vocab(work, work / "dev-v1.1.json", vocab_size=600)
        _, examples = squad.read_examples(work / "dev-v1.1.json")
        feats = features.convert(examples, wordpiece_tokenizer(work / "vocab.txt"))
        rng = np.random.default_rng(1)
        log = work / "mlperf_log_accuracy.json"
        log.write_text(json.dumps([
            {"seq_id": i, "qsl_idx": i, "data": rng.normal(0, 2, (384, 2)).astype(np.float32).tobytes().hex()}
            for i in range(len(feats))]))
        ours_runs, base_runs = [], []
        for _ in range(args.repeats):  # alternate, so machine noise hits both alike
            began = time.perf_counter()
            base_line, base_answers = baseline(log, examples, feats)
            base_runs.append(len(examples) / (time.perf_counter() - began))
            began = time.perf_counter()
            score, ours_answers = harness_scorer(log, examples, feats)
            ours_runs.append(len(examples) / (time.perf_counter() - began))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    same = score.lines[0] == base_line and ours_answers == base_answers
    if not same:
        raise SystemExit(f"results differ: ours {score.lines[0]} vs baseline {base_line}")
    ours, base = round(statistics.median(ours_runs), 2), round(statistics.median(base_runs), 2)
    ratio = round(ours / base, 4)
    print(f"BERT SQuAD scoring of {len(examples)} questions ({len(feats)} features, random logits), "
          f"questions/s, median of {args.repeats} alternating runs, line and answers identical: {same}")
    print(f"  {'harness scorer':<28} {ours:>8.2f}   (runs: {', '.join(f'{x:.0f}' for x in ours_runs)})")
    print(f"  {'straightforward loop':<28} {base:>8.2f}   (runs: {', '.join(f'{x:.0f}' for x in base_runs)})")
    print(f"  ratio ours/baseline          {ratio}")
    print(json.dumps({"bench": "bert_squad_scoring", "ours": ours, "baseline": base, "ratio": ratio,
                      "unit": "questions/s"}))


if __name__ == "__main__":
    main()
