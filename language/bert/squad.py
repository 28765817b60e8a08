"""The SQuAD v1.1 JSON file: one example per question, in file order, as the reference reads it.

A context is split into words on runs of space, tab, CR, LF and U+202F (narrow no-break space),
the reference's whitespace rule. Questions of one paragraph share its word list. The official
evaluation walks the same file in the same order, so an example's position is its question's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

EXPECTED_VERSION = "1.1"
_WORD_SEPARATORS = re.compile("[ \t\r\n\u202f]+")


@dataclass(frozen=True)
class Example:
    qas_id: str
    question: str
    words: tuple[str, ...]  # the context's whitespace-separated words ("doc tokens")
    answers: tuple[str, ...]  # reference answer texts, for scoring


def split_words(context: str) -> tuple[str, ...]:
    return tuple(w for w in _WORD_SEPARATORS.split(context) if w)


def parse(data: dict, source: str = "SQuAD JSON") -> list[Example]:
    try:
        articles = data["data"]
        examples = []
        for article in articles:
            for paragraph in article["paragraphs"]:
                words = split_words(paragraph["context"])
                for qa in paragraph["qas"]:
                    answers = tuple(a["text"] for a in qa["answers"])
                    examples.append(Example(str(qa["id"]), qa["question"], words, answers))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{source} is not in the SQuAD v1.1 layout (data > paragraphs > qas): "
                         f"missing {exc}") from None
    return examples


def read_examples(path) -> tuple[str | None, list[Example]]:
    """``(version field, examples in file order)``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a SQuAD file: expected a JSON object with 'data'")
    return data.get("version"), parse(data, str(path))
