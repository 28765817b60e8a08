"""Labels and transcript normalisation, as the reference Manifest(normalize=True) applies them.

The 28 labels are space, a..z and the apostrophe; the model adds a blank as class 28. Reference
transcripts are lower-cased, folded to ASCII, abbreviations spelled out, punctuation turned into
spaces (``&`` and ``+`` into words), whitespace collapsed, then every character that is not a
label dropped. Upstream also spells out numbers with ``inflect``; dev-clean has no digits, so a
transcript with a digit is refused here rather than normalised differently.
"""

from __future__ import annotations

import re
import string
import unicodedata

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
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    if any(c.isdigit() for c in text):
        raise ValueError(f"transcript has digits, which need upstream's number spelling: {text!r}")
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
