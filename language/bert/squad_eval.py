"""Exact match and F1 as the official SQuAD v1.1 evaluation script defines them.

An answer is normalised (lower case, ASCII punctuation removed, the words a/an/the replaced by a
space, whitespace collapsed); EM is normalised equality, F1 the harmonic mean of token precision
and recall (0 without a common token). Each question takes its best score over the reference
answers; the totals are ``100.0 * sum / number of questions``, summed in file order, so the
printed floats match the official script's digit for digit.

Unlike the reference harness with ``--max_examples N`` (which scores N - 1 questions and divides
by N), the divisor here is the number of questions actually scored.

    >>> evaluate([("q1", ("the Eiffel Tower",)), ("q2", ("1889", "in 1889"))],
    ...          {"q1": "Eiffel tower", "q2": "1889 exactly"})
    {'exact_match': 50.0, 'f1': 83.33333333333333}
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def f1_score(prediction: str, truth: str) -> float:
    predicted = normalize_answer(prediction).split()
    expected = normalize_answer(truth).split()
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0
    precision = 1.0 * same / len(predicted)
    recall = 1.0 * same / len(expected)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, truth: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(truth)


def evaluate(questions, predictions: dict[str, str]) -> dict[str, float]:
    """``questions``: ``(qas_id, reference answers)`` in file order, the ones to score.
    A question without a prediction scores 0, as in the official script."""
    exact = f1 = total = 0
    for qas_id, truths in questions:
        total += 1
        if qas_id not in predictions:
            continue
        prediction = predictions[qas_id]
        exact += max(exact_match_score(prediction, t) for t in truths)
        f1 += max(f1_score(prediction, t) for t in truths)
    if total == 0:
        raise ValueError("no question to score")
    return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}


def result_line(result: dict[str, float]) -> str:
    """The line the official script prints and the submission checker parses."""
    return json.dumps({"exact_match": result["exact_match"], "f1": result["f1"]})
