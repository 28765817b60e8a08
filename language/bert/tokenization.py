"""The two tokenizers the reference uses, and nothing else.

- Features: transformers' pure-Python ``BertTokenizer`` (lower case, WordPiece), the class the
  reference instantiates from ``vocab.txt``. transformers 5 keeps it as ``BertTokenizerLegacy``
  (its ``BertTokenizer`` became the Rust one); 4.x names it ``BertTokenizer``. Both run the same
  code, so the features do not depend on which of the two is installed.
- Answers: the original BERT "basic tokenizer" (clean, split CJK, lower-case, strip accents,
  split punctuation), which the reference's answer projection runs on the original text. Written
  out here because the reference takes it from a git submodule, not from a package.
"""

from __future__ import annotations

import unicodedata

# The basic tokenizer leaves these alone (no lower-casing, no punctuation split).
NEVER_SPLIT = frozenset(("[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"))


def wordpiece_tokenizer(vocab_file):
    """The reference's feature tokenizer, built from a vocab file without touching the network."""
    try:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as Slow
    except ImportError:  # transformers 4.x
        from transformers.models.bert.tokenization_bert import BertTokenizer as Slow
    return Slow(str(vocab_file))


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char).startswith("C")


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_punctuation(char: str) -> bool:
    # Every ASCII character that is not a letter, digit or space counts, as in BERT.
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
               (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_cjk(char: str) -> bool:
    cp = ord(char)
    return any(low <= cp <= high for low, high in _CJK_RANGES)


def _clean(text: str) -> str:
    out = []
    for char in text:
        if char == "\x00" or char == "\ufffd" or _is_control(char):
            continue
        if _is_cjk(char):
            out.append(f" {char} ")
        else:
            out.append(" " if _is_whitespace(char) else char)
    return "".join(out)


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


def _split_punctuation(word: str) -> list[str]:
    if word in NEVER_SPLIT:
        return [word]
    pieces: list[str] = []
    joined = False  # whether the next ordinary character extends the last piece
    for char in word:
        if _is_punctuation(char):
            pieces.append(char)
            joined = False
        elif joined:
            pieces[-1] += char
        else:
            pieces.append(char)
            joined = True
    return pieces


def basic_tokenize(text: str) -> list[str]:
    """Lower-cased basic BERT tokens of ``text``.

    >>> basic_tokenize("Steve Smith's  Café (1895-1943).")
    ['steve', 'smith', "'", 's', 'cafe', '(', '1895', '-', '1943', ')', '.']
    """
    pieces: list[str] = []
    for word in _clean(text).split():
        if word not in NEVER_SPLIT:
            word = _strip_accents(word.lower())
        pieces.extend(_split_punctuation(word))
    return " ".join(pieces).split()
