"""How two runs of an LLM benchmark differ (GPT-J, Llama-2, Mixtral); their diff.py adapt it.

Per sample: whether the token sequences are equal and, where not, the first position where they
differ (the shorter one's length when one is a prefix of the other). Only the samples that differ
are decoded: their texts, and ROUGE of each run's text against the dataset's reference (B - A, in
points as the metric prints them); an identical sample's ROUGE difference is 0 without scoring it.
So ``rouge_difference``, the mean over the samples with a reference, is what the runs' ROUGE
metrics differ by, up to their rounding.
"""

from __future__ import annotations

import numpy as np

from harness.diff import Comparison

from . import rouge

BUCKETS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)  # lower bounds of the histogram's buckets
COMPARED = ("rouge1", "rouge2", "rougeL")  # ROUGE types reported per sample (rougeLsum is rougeL per line)
TEXTS_SHOWN = 10  # rows that carry both decoded texts


def first_divergence(a: np.ndarray, b: np.ndarray) -> int | None:
    """The first position where two token sequences differ; None when they are equal.

        >>> first_divergence(np.array([1, 2, 3]), np.array([1, 2, 4]))
        2
        >>> first_divergence(np.array([1, 2]), np.array([1])), first_divergence(np.array([7]), np.array([7]))
        (1, None)
    """
    shorter = min(len(a), len(b))
    if len(a) == len(b) and np.array_equal(a, b):
        return None
    differ = np.flatnonzero(a[:shorter] != b[:shorter])
    return int(differ[0]) if differ.size else shorter


def histogram(positions) -> dict[str, int]:
    """Counts per bucket of BUCKETS (0, 1, 2-3, 4-7, ..., 1024+), all buckets listed.

        >>> histogram([0, 5, 6, 2000])["4-7"], histogram([0, 5, 6, 2000])["1024+"]
        (2, 1)
    """
    labels = [str(lo) if hi == lo + 1 else f"{lo}-{hi - 1}" for lo, hi in zip(BUCKETS, BUCKETS[1:])]
    labels.append(f"{BUCKETS[-1]}+")
    counts = np.bincount(np.searchsorted(BUCKETS, np.asarray(positions, dtype=np.int64), side="right") - 1,
                         minlength=len(BUCKETS))
    return dict(zip(labels, counts.tolist()))


def rouge_differences(texts_a, texts_b, references, split, workers: int = 1) -> np.ndarray:
    """(n, len(COMPARED)) per-sample F-measures of B minus those of A against the same references, x 100."""
    refs = rouge.postprocess(references, split)
    scored = [rouge.fmeasures(rouge.postprocess(texts, split), refs, workers) for texts in (texts_a, texts_b)]
    columns = [rouge.ROUGE_TYPES.index(name) for name in COMPARED]
    return (scored[1] - scored[0])[:, columns] * 100


def compare(pairs, tokens=np.asarray, decode=None, references=None, split=None, workers: int = 1,
            shown: int = TEXTS_SHOWN) -> Comparison:
    """``pairs``: ``(index, output_a, output_b)``; ``tokens`` makes the compared ids of an output (the
    scorer's own cut, e.g. Llama-2's at EOS); ``decode(list of ids) -> texts``; ``references[index]``
    is a sample's reference text (None: no ROUGE, e.g. Mixtral's GSM8K rows); ``split`` punkt's."""
    total = exact = tokens_a = tokens_b = with_reference = 0
    diverging = []
    for index, a, b in pairs:
        ids_a, ids_b = np.asarray(tokens(a)), np.asarray(tokens(b))
        total, tokens_a, tokens_b = total + 1, tokens_a + len(ids_a), tokens_b + len(ids_b)
        with_reference += references is not None and references[index] is not None
        position = first_divergence(ids_a, ids_b)
        if position is None:
            exact += 1
        else:
            diverging.append((position, index, ids_a, ids_b))
    diverging.sort(key=lambda d: d[:2])  # earliest divergence first: the most of the answer differs
    positions = [d[0] for d in diverging]
    rows = [{"index": i, "first_divergence": p, "tokens_a": len(x), "tokens_b": len(y)} for p, i, x, y in diverging]
    figures = {"samples": total, "exact_match": exact, "exact_match_rate": exact / total if total else None,
               "first_divergence": ({"min": min(positions), "median": float(np.median(positions)),
                                     "max": max(positions)} if positions else None),
               "first_divergence_histogram": histogram(positions), "tokens_a": tokens_a, "tokens_b": tokens_b}
    if decode is None or not diverging:
        if not diverging and with_reference:
            figures["rouge_difference"], figures["rouge_samples"] = dict.fromkeys(COMPARED, 0.0), with_reference
        return Comparison(figures, rows, "samples whose tokens differ, earliest divergence first")
    texts_a, texts_b = decode([d[2] for d in diverging]), decode([d[3] for d in diverging])
    for row, text_a, text_b in zip(rows[:shown], texts_a, texts_b):
        row.update(text_a=text_a, text_b=text_b)
    if split is not None and with_reference:
        scored = [k for k, d in enumerate(diverging) if references[d[1]] is not None]
        difference = rouge_differences([texts_a[k] for k in scored], [texts_b[k] for k in scored],
                                       [references[diverging[k][1]] for k in scored], split, workers)
        for k, values in zip(scored, difference):
            rows[k].update({f"{name}_difference": float(v) for name, v in zip(COMPARED, values)})
        sums = difference.sum(axis=0) if scored else np.zeros(len(COMPARED))
        figures["rouge_difference"] = {name: float(s) / with_reference for name, s in zip(COMPARED, sums)}
        figures["rouge_samples"] = with_reference
    return Comparison(figures, rows,
                      f"samples whose tokens differ, earliest divergence first; texts for the first {shown}")
