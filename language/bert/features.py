"""Examples to model inputs ("features") as the reference builds them; a feature is one LoadGen sample.

Per question: the query's WordPieces (at most 64), the context's WordPieces, and windows over the
context of at most ``384 - len(query) - 3`` pieces that advance by at most 128 (the doc stride),
so a long context yields several features. A feature is ``[CLS] query [SEP] window [SEP]``
zero-padded to 384 (so ``[PAD]`` must be vocabulary id 0, as in BERT's vocab). A context piece
"has max context" in the window where ``min(left, right) + 0.01 * window length`` is largest,
the first such window on ties; only those positions may start an answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import progress

MAX_SEQ_LENGTH = 384
MAX_QUERY_LENGTH = 64
DOC_STRIDE = 128


@dataclass(frozen=True)
class Feature:
    example_index: int
    tokens: tuple[str, ...]  # [CLS] query [SEP] window [SEP], unpadded
    doc_offset: int  # position of the window's first piece (len(query) + 2)
    word_index: tuple[int, ...]  # per window piece: the context word it came from
    max_context: tuple[bool, ...]  # per window piece: this window is its best

    def word_at(self, position: int) -> int | None:
        """The context word a position maps to (``token_to_orig_map``), None outside the window."""
        i = position - self.doc_offset
        return self.word_index[i] if 0 <= i < len(self.word_index) else None

    def to_json(self) -> list:
        return [self.example_index, list(self.tokens), self.doc_offset, list(self.word_index),
                [int(m) for m in self.max_context]]

    @classmethod
    def from_json(cls, row: list) -> Feature:
        return cls(row[0], tuple(row[1]), row[2], tuple(row[3]), tuple(bool(m) for m in row[4]))


def windows(n_pieces: int, max_pieces: int) -> list[tuple[int, int]]:
    """``(start, length)`` of each window over ``n_pieces`` context pieces."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n_pieces:
        length = min(n_pieces - start, max_pieces)
        spans.append((start, length))
        if start + length == n_pieces:
            break
        start += min(length, DOC_STRIDE)
    return spans


def best_windows(spans: list[tuple[int, int]], n_pieces: int) -> list[int]:
    """For every context piece, the index of the window that gives it the most context."""
    best = [-1] * n_pieces
    score = [0.0] * n_pieces
    for index, (start, length) in enumerate(spans):
        end = start + length - 1
        for position in range(start, end + 1):
            value = min(position - start, end - position) + 0.01 * length
            if best[position] < 0 or value > score[position]:
                best[position], score[position] = index, value
    return best


class _PieceCache:
    """WordPieces of each distinct word, computed once: the tokenizer is pure per word, and SQuAD
    repeats words (and whole contexts, shared by a paragraph's questions) many times."""

    def __init__(self, tokenizer):
        self.tokenize = tokenizer.tokenize
        self.words: dict[str, list[str]] = {}

    def __call__(self, word: str) -> list[str]:
        pieces = self.words.get(word)
        if pieces is None:
            pieces = self.words[word] = self.tokenize(word)
        return pieces


def convert(examples, tokenizer) -> list[Feature]:
    """All features of ``examples`` in order (example order, then window order)."""
    pieces_of = _PieceCache(tokenizer)
    features: list[Feature] = []
    last_words, doc_pieces, piece_word = None, [], []
    for example_index, example in enumerate(progress.track(examples, "SQuAD features", unit=" questions")):
        query = tokenizer.tokenize(example.question)[:MAX_QUERY_LENGTH]
        if example.words is not last_words:  # a paragraph's questions share its word tuple
            last_words, doc_pieces, piece_word = example.words, [], []
            for word_index, word in enumerate(example.words):
                for piece in pieces_of(word):
                    doc_pieces.append(piece)
                    piece_word.append(word_index)
        spans = windows(len(doc_pieces), MAX_SEQ_LENGTH - len(query) - 3)
        best = best_windows(spans, len(doc_pieces))
        head = ("[CLS]", *query, "[SEP]")
        for index, (start, length) in enumerate(spans):
            stop = start + length
            features.append(Feature(
                example_index=example_index,
                tokens=(*head, *doc_pieces[start:stop], "[SEP]"),
                doc_offset=len(head),
                word_index=tuple(piece_word[start:stop]),
                max_context=tuple(best[p] == index for p in range(start, stop)),
            ))
    return features


def input_arrays(features, to_ids) -> dict[str, np.ndarray]:
    """``input_ids``, ``input_mask`` and ``segment_ids``, int32 of shape (n, 384), zero-padded;
    ``to_ids`` is the tokenizer's ``convert_tokens_to_ids``."""
    n = len(features)
    ids = np.zeros((n, MAX_SEQ_LENGTH), np.int32)
    mask = np.zeros((n, MAX_SEQ_LENGTH), np.int32)
    segments = np.zeros((n, MAX_SEQ_LENGTH), np.int32)
    for row, feature in enumerate(features):
        length = len(feature.tokens)
        ids[row, :length] = to_ids(list(feature.tokens))
        mask[row, :length] = 1
        segments[row, feature.doc_offset:length] = 1
    return {"input_ids": ids, "input_mask": mask, "segment_ids": segments}
