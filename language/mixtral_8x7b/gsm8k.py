"""GSM8K exact match as the reference evaluator scores it.

The generation is cut at the first "\nQ:" (the model starting a new question); if it contains
"The answer is", the first number after its last occurrence is the answer, otherwise the last
number of the text; thousands separators are dropped; a prediction that does not parse as a
float counts as wrong. The score is the unrounded percentage.
"""

from __future__ import annotations

import re

NUMBER = re.compile(r"-?[\d,]*\.?\d+", re.MULTILINE | re.DOTALL | re.IGNORECASE)
DELIMITER = "The answer is"


def find_number(text: str) -> str:
    if DELIMITER in text:
        after = NUMBER.findall(text.split(DELIMITER)[-1])
        if after:
            return after[0]
    numbers = NUMBER.findall(text)
    return numbers[-1] if numbers else ""


def extract_answer(generation: str) -> str:
    return find_number(generation.split("\nQ:")[0]).replace(",", "")


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def is_correct(generation: str, target: str) -> bool:
    predicted = _float(extract_answer(generation))
    return predicted is not None and predicted == _float(target)


def accuracy(generations: list[str], targets: list[str]) -> float:
    """``100 * correct / total``; like the reference, no GSM8K rows is an error (division by zero)."""
    correct = sum(is_correct(g, t) for g, t in zip(generations, targets, strict=True))
    return 100.0 * correct / len(targets)
