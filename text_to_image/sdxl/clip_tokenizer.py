"""The CLIP text tokenizer of open_clip (``open_clip.tokenize``), without open_clip.

open_clip imports torchvision, which does not load beside the project's torch, so its
SimpleTokenizer is reimplemented here with the same behaviour: ftfy repair and two rounds of
HTML unescaping, whitespace collapsed, lower case, a pre-split regex, byte-level BPE over the
``bpe_simple_vocab_16e6.txt.gz`` merges, start/end tokens, and a fixed context of 77 where an
over-long text is cut and its last slot replaced by the end token.
"""

from __future__ import annotations

import gzip
import html
from functools import lru_cache
from pathlib import Path

import numpy as np

CONTEXT_LENGTH = 77
START, END = "<start_of_text>", "<end_of_text>"
MAX_MERGES = 49152 - 256 - 2  # open_clip keeps this many merge lines of the vocabulary file


@lru_cache(maxsize=1)
def byte_alphabet() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (printable bytes map to themselves)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    # open_clip orders the base vocabulary as printable bytes first, then the remapped ones
    return {b: table[b] for b in [*printable, *(b for b in range(256) if b not in printable)]}


def clean(text: str) -> str:
    import ftfy
    import regex

    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return regex.sub(r"\s+", " ", text).strip().lower()


class ClipTokenizer:
    def __init__(self, vocab_path):
        import regex

        with gzip.open(Path(vocab_path)) as handle:
            lines = handle.read().decode("utf-8").split("\n")
        # line 0 is a version header; open_clip keeps the next MAX_MERGES lines
        merges = [tuple(line.split()) for line in lines[1:MAX_MERGES + 1] if line.strip()]
        base = list(byte_alphabet().values())
        vocab = base + [c + "</w>" for c in base] + ["".join(m) for m in merges] + [START, END]
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.cache = {START: START, END: END}
        self.split = regex.compile(
            rf"{START}|{END}|'s|'t|'re|'ve|'m|'ll|'d|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+", regex.IGNORECASE)
        self.start, self.end = self.encoder[START], self.encoder[END]
        self.vocab_size = len(vocab)

    def bpe(self, token: str) -> list[str]:
        if token in self.cache:
            return self.cache[token].split(" ")
        word = [*token[:-1], token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):  # join every non-overlapping occurrence, left to right
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = " ".join(word)
        return word

    def encode(self, text: str) -> list[int]:
        alphabet = byte_alphabet()
        ids = []
        for piece in self.split.findall(clean(text)):
            mapped = "".join(alphabet[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[part] for part in self.bpe(mapped))
        return ids

    def __call__(self, texts, context_length: int = CONTEXT_LENGTH) -> np.ndarray:
        """int64 token ids, one row of ``context_length`` per text, zero-padded."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        out = np.zeros((len(texts), context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.start, *self.encode(text), self.end]
            if len(ids) > context_length:
                ids = ids[:context_length]
                ids[-1] = self.end
            out[row, : len(ids)] = ids
        return out
