"""Top-1 accuracy exactly as upstream's accuracy-imagenet.py computes and prints it.

- Entries are read in log order; the first response per qsl_idx counts, later ones are duplicates.
- The predicted class is ``int()`` of the first decoded element (float32 by default).
- The denominator is the number of distinct qsl indices in the log, not the dataset size.

Worked example::

    >>> top1({0: 5, 1: 7, 2: 9}, [5, 7, 1])
    {'good': 2, 'total': 3, 'accuracy': 66.66666666666667}
    >>> accuracy_line(top1({0: 5, 1: 7, 2: 9}, [5, 7, 1]))
    'accuracy=66.667%, good=2, total=3'
"""

from __future__ import annotations

import numpy as np

from harness.codecs import first_responses, read_accuracy_log
from harness.score import Score

DTYPES = {"float32": np.float32, "int32": np.int32, "int64": np.int64}


def top1(found: dict[int, int | None], labels: list[int]) -> dict:
    """``found`` maps qsl_idx to the predicted class (None for an empty response)."""
    if not found:
        raise ValueError("no responses to score: the accuracy log is empty")
    good = sum(1 for idx, cls in found.items() if cls is not None and cls == labels[idx])
    return {"good": good, "total": len(found), "accuracy": 100.0 * good / len(found)}


def accuracy_line(result: dict) -> str:
    return f"accuracy={result['accuracy']:.3f}%, good={result['good']}, total={result['total']}"


def decode(entries: list[dict], dtype: str, count: int) -> tuple[dict[int, int | None], int]:
    """First prediction per qsl_idx (log order) and the number of duplicates ignored."""
    payloads, dupes = first_responses(entries)
    found = {}
    for idx, data in payloads.items():
        if not 0 <= idx < count:
            raise ValueError(f"the accuracy log has qsl_idx {idx}, but the label file lists only {count} images")
        values = np.frombuffer(data, dtype=np.dtype(DTYPES[dtype]).newbyteorder("<"))
        found[idx] = int(values[0]) if values.size else None
    return found, dupes


def score_entries(entries, names, labels, dtype="float32", verbose=False, out=print) -> Score:
    """Score decoded log entries; prints what upstream prints (misses first when verbose)."""
    found, dupes = decode(entries, dtype, len(labels))
    result = top1(found, labels)
    if verbose:
        for idx, cls in found.items():
            if cls != labels[idx]:
                out(f"{names[idx]}, expected: {labels[idx]}, found {'nothing' if cls is None else cls}")
    line = accuracy_line(result)
    out(line)
    if verbose:
        out(f"found and ignored {dupes} dupes")
    # The checker parses the printed value, so the verdict uses it rounded as printed.
    values = {"acc": round(result["accuracy"], 3)}
    return Score(values=values, lines=[line], scored=result["total"], duplicates=dupes,
                 details={"good": result["good"], "accuracy_unrounded": result["accuracy"]})


def score_run(log_path, dataset) -> Score:
    """The run's scorer: the harness prints the lines itself, so nothing is printed here."""
    return score_entries(read_accuracy_log(log_path), dataset.names, dataset.labels, out=lambda _: None)
