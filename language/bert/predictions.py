"""From logits to one answer text per question, with the reference's n-best rules.

For each feature of a question: the 20 highest start logits and the 20 highest end logits
(stable: a lower position wins a tie). A (start, end) pair is a candidate when both lie in the
context window, the start position has max context, end >= start and the span has at most 30
pieces. Candidates rank by start + end logit (float64); the reference sorts them stably in the
order it generates them (feature, then start rank, then end rank) and answers with the text of
the first. The other 19 n-best entries never change that answer, so only the best candidate is
projected back to text here. No candidate at all gives the answer "empty".
"""

from __future__ import annotations

import numpy as np

from .tokenization import basic_tokenize

N_BEST = 20
MAX_ANSWER_LENGTH = 30
NO_ANSWER = "empty"


def top_positions(logits: np.ndarray, n: int = N_BEST) -> np.ndarray:
    return np.argsort(-logits, kind="stable")[:n]


def best_in_feature(feature, start_logits: np.ndarray, end_logits: np.ndarray):
    """``(score, start, end)`` of the feature's first best candidate, or None."""
    starts, ends = top_positions(start_logits), top_positions(end_logits)
    lo, hi = feature.doc_offset, feature.doc_offset + len(feature.word_index)
    start_ok = (starts >= lo) & (starts < hi)
    start_ok[start_ok] = np.asarray(feature.max_context)[starts[start_ok] - lo]
    end_ok = (ends >= lo) & (ends < hi)
    span = ends[None, :] - starts[:, None]
    valid = start_ok[:, None] & end_ok[None, :] & (span >= 0) & (span < MAX_ANSWER_LENGTH)
    flat = np.flatnonzero(valid)
    if flat.size == 0:
        return None
    scores = (start_logits[starts][:, None] + end_logits[ends][None, :]).ravel()[flat]
    best = flat[int(np.argmax(scores))]  # argmax returns the first maximum: generation order
    row, col = divmod(int(best), len(ends))
    return float(start_logits[starts[row]] + end_logits[ends[col]]), int(starts[row]), int(ends[col])


def answer_text(example, feature, start: int, end: int) -> str:
    """The answer span in the original context, with the reference's projection heuristic."""
    pieces = " ".join(feature.tokens[start:end + 1])
    predicted = " ".join(pieces.replace(" ##", "").replace("##", "").strip().split())
    words = example.words[feature.word_at(start):feature.word_at(end) + 1]
    return project(predicted, " ".join(words))


def _without_spaces(text: str) -> tuple[str, dict[int, int]]:
    kept = [(i, c) for i, c in enumerate(text) if c != " "]
    return "".join(c for _, c in kept), {j: i for j, (i, _) in enumerate(kept)}


def project(predicted: str, original: str) -> str:
    """The part of ``original`` that ``predicted`` (normalised pieces) stands for, or all of
    ``original`` when the character alignment fails (upstream ``get_final_text``).

    >>> project("steve smith", "Steve Smith's")
    'Steve Smith'
    """
    normalised = " ".join(basic_tokenize(original))
    first = normalised.find(predicted)
    if first == -1:
        return original
    last = first + len(predicted) - 1
    original_ns, original_at = _without_spaces(original)
    normalised_ns, normalised_at = _without_spaces(normalised)
    if len(original_ns) != len(normalised_ns):
        return original
    to_ns = {s: ns for ns, s in normalised_at.items()}
    if first not in to_ns or last not in to_ns:
        return original
    return original[original_at[to_ns[first]]:original_at[to_ns[last]] + 1]


def predict(example, scored_features) -> str:
    """The answer to ``example`` from ``[(feature, start_logits, end_logits), ...]`` in feature order."""
    best = None
    for feature, start_logits, end_logits in scored_features:
        found = best_in_feature(feature, start_logits, end_logits)
        if found is not None and (best is None or found[0] > best[0]):  # earlier feature wins ties
            best = (found[0], feature, found[1], found[2])
    if best is None:
        return NO_ANSWER
    return answer_text(example, best[1], best[2], best[3])
