"""ROC AUC of an accuracy log, as the reference's tools/accuracy-dlrm.py computes and prints it.

- Responses are streamed (the full log is ~1.5 GB of hex for 89 M pairs), already decoded by the
  codec (float32 by default); the first response per qsl_idx counts, later ones are duplicates.
- Each response is [p_0, label_0, p_1, label_1, ...] (or predictions only); the pairs go into
  growing numpy arrays of the codec's dtype, never Python lists.
- AUC = sklearn.metrics.roc_auc_score(labels, predictions) over every pair, on the same
  float32 arrays as the reference; accuracy counts round(p) == label (half to even).

Worked example::

    >>> labels, preds = np.array([0, 0, 1, 1], np.float32), np.array([.1, .4, .35, .8], np.float32)
    >>> line(auc_of(labels, preds), good_of(labels, preds), 4, 1)
    'AUC=75.000%, accuracy=75.000%, good=3, total=4, queries=1'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import progress
from harness.score import Score

DTYPES = ("float32", "int32", "int64")  # what upstream's --dtype accepts


class GrowingArray:
    """An append-only numpy array that doubles its storage (amortised O(1) per value)."""

    def __init__(self, dtype, capacity: int = 1 << 16):
        self.data = np.empty(capacity, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.empty(max(end, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size:end] = values
        self.size = end

    def view(self) -> np.ndarray:
        return self.data[: self.size]


@dataclass
class Collected:
    predictions: np.ndarray
    labels: np.ndarray | None  # None when the log holds predictions only
    qsl_indices: list[int]
    sizes: list[int]  # values (pairs, or predictions) per kept response
    duplicates: int


def collect(responses, with_labels: bool = True, verbose: bool = False, out=print, total: int | None = None
            ) -> Collected:
    """The decoded first responses (``codecs.Responses``) as flat prediction (and label) arrays in log order;
    ``total``: the responses expected, for the progress line."""
    dtype = np.dtype(responses.codec.dtype)
    preds = GrowingArray(dtype)
    labels = GrowingArray(dtype) if with_labels else None
    order: list[int] = []
    sizes: list[int] = []
    for idx, data in progress.track(responses, "reading the accuracy log", total):
        order.append(idx)
        if not with_labels:
            preds.extend(data)
            sizes.append(data.size)
            continue
        if data.size % 2:
            raise ValueError(f"the response of qsl_idx {idx} holds {data.size} values; [prediction, label] "
                             "pairs need an even number (is --dtype right, or does the log hold predictions only?)")
        pairs = data.reshape(-1, 2)
        sizes.append(len(pairs))
        if verbose:
            for k in np.flatnonzero(pairs[:, 0].round() != pairs[:, 1]):
                out(f"{idx}:{k}, expected: {pairs[k, 1]}, found {pairs[k, 0].round()}")
        preds.extend(pairs[:, 0])
        labels.extend(pairs[:, 1])
    return Collected(preds.view(), labels.view() if labels else None, order, sizes, responses.duplicates)


def auc_of(labels: np.ndarray, predictions: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if predictions.size == 0:
        raise ValueError("no responses to score: the accuracy log is empty")
    if np.unique(labels).size < 2:
        raise ValueError(f"AUC is undefined: all {labels.size} labels are {labels[0]!r} (both classes are needed)")
    return float(roc_auc_score(labels, predictions))


def good_of(labels: np.ndarray, predictions: np.ndarray) -> int:
    return int(np.count_nonzero(predictions.round() == labels))


def line(auc: float, good: int, total: int, queries: int) -> str:
    return (f"AUC={100.0 * auc:.3f}%, accuracy={100.0 * good / total:.3f}%, good={good}, total={total}, "
            f"queries={queries}")


def score_collected(found: Collected, labels: np.ndarray) -> Score:
    auc = auc_of(labels, found.predictions)
    good, total = good_of(labels, found.predictions), int(found.predictions.size)
    text = line(auc, good, total, len(found.qsl_indices))
    # The checker parses the printed value, so the verdict uses it rounded as printed.
    return Score(values={"AUC": round(100.0 * auc, 3)}, lines=[text], scored=len(found.qsl_indices),
                 duplicates=found.duplicates,
                 details={"auc_unrounded": 100.0 * auc, "good": good, "total": total})


def check_against(found: Collected, dataset) -> list[str]:
    """A note when logged pairs do not belong to their sample (wrong count or labels): the
    reference's queue runner produced such logs; the AUC of one is meaningless."""
    wrong, start = [], 0
    for idx, size in zip(found.qsl_indices, found.sizes):
        expected = dataset.labels_of(idx)
        got = found.labels[start:start + size]
        start += size
        if size != expected.size or not np.array_equal(got, expected.astype(got.dtype)):
            wrong.append(idx)
    return [f"{len(wrong)} sample(s) carry labels that are not theirs (first qsl_idx {wrong[0]}): "
            "responses were matched to the wrong samples"] if wrong else []


def score(responses, dataset, run) -> Score:
    """The run's scorer: the log's own labels, checked against the dataset's."""
    found = collect(responses, total=run.count if run is not None else None)
    score = score_collected(found, found.labels)
    score.notes.extend(check_against(found, dataset))
    return score
