"""Labels and transcript normalisation, as the reference Manifest(normalize=True) applies them.

The 28 labels are space, a..z and the apostrophe; the model adds a blank as class 28. Reference
transcripts are folded to ASCII with unidecode (so "’" is "'", "ß" is "ss", "£" is "PS"),
lower-cased, numbers spelled out (``numbers.py``, with inflect), abbreviations spelled out,
punctuation turned into spaces (``&`` and ``+`` into words), whitespace collapsed, then every
character that is not a label dropped. Where upstream's number spelling fails (a comma left in a
dollar amount, a number too large for inflect) its Manifest drops the utterance; here that is an
error.
"""

from __future__ import annotations

import re
import string

from unidecode import unidecode

from . import numbers

LABELS = (" ", *string.ascii_lowercase, "'")
BLANK = len(LABELS)  # class 28
_LABEL_IDS = {c: i for i, c in enumerate(LABELS)}

_ABBREVIATIONS = {
    "mrs": "misess", "mr": "mister", "dr": "doctor", "st": "saint", "co": "company", "jr": "junior",
    "maj": "major", "gen": "general", "drs": "doctors", "rev": "reverend", "lt": "lieutenant",
    "hon": "honorable", "sgt": "sergeant", "capt": "captain", "esq": "esquire", "ltd": "limited",
    "col": "colonel", "ft": "fort",
}
_ABBREVIATION_RE = [(re.compile(rf"\b{k}\.", re.IGNORECASE), v) for k, v in _ABBREVIATIONS.items()]
# Punctuation becomes a space, except labels themselves and the two characters spelled as words.
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation if c not in "+&" and c not in _LABEL_IDS})


def normalize(text: str) -> str:
    """The reference transcript string the WER is computed against."""
    text = unidecode(text).lower()
    try:
        text = numbers.spell_numbers(text)
    except Exception as error:  # upstream catches every error and drops the utterance
        raise ValueError(f"upstream cannot spell the numbers in {text!r} and drops it: {error!r}") from error
    for pattern, word in _ABBREVIATION_RE:
        text = pattern.sub(word, text)
    text = text.translate(_PUNCTUATION).replace("&", " and ").replace("+", " plus ")
    text = re.sub(r"\s+", " ", text).strip()
    return "".join(c for c in text if c in _LABEL_IDS)


def to_ids(text: str) -> list[int]:
    return [_LABEL_IDS[c] for c in text]


def to_text(ids) -> str:
    """Label ids back to characters; an id outside the labels is an error, as upstream's lookup."""
    try:
        return "".join(LABELS[int(i)] for i in ids)
    except IndexError:
        raise ValueError(f"a transcript id is outside the {len(LABELS)} labels: {list(ids)}") from None
