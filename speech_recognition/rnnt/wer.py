"""Corpus word error rate as the reference computes and prints it.

Errors are summed word-level Levenshtein distances, words are summed reference word counts;
WER = errors / words (infinite for no reference words). Whitespace splitting, so repeated
spaces do not count. Worked example::

    >>> corpus_wer(["the cat sat", "a b"], ["the cat sat down", "a c"])
    (0.3333333333333333, 2, 6)
    >>> wer_line(2 / 6)
    'Word Error Rate: 33.33333333333333%, accuracy=66.66666666666667%'
"""

from __future__ import annotations


def word_distance(hypothesis: list[str], reference: list[str]) -> int:
    """Levenshtein distance over words (insert, delete and substitute cost 1), two rows of memory."""
    previous = list(range(len(reference) + 1))
    for i, hyp_word in enumerate(hypothesis, 1):
        current = [i] + [0] * len(reference)
        for j, ref_word in enumerate(reference, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (hyp_word != ref_word))
        previous = current
    return previous[-1]


def corpus_wer(hypotheses: list[str], references: list[str]) -> tuple[float, int, int]:
    """``(wer, errors, words)`` over paired transcripts."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    errors = words = 0
    for hyp, ref in zip(hypotheses, references):
        ref_words = ref.split()
        words += len(ref_words)
        errors += word_distance(hyp.split(), ref_words)
    return (errors / words if words else float("inf")), errors, words


def wer_line(wer: float) -> str:
    """Upstream's format: plain ``{}`` formatting, full precision, no rounding."""
    return "Word Error Rate: {}%, accuracy={}%".format(wer * 100, (1 - wer) * 100)
