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

from harness.score import Score

DTYPES = ("float32", "int32", "int64")  # what upstream's --dtype accepts


def top1(found: dict[int, int | None], labels: list[int]) -> dict:
    """``found`` maps qsl_idx to the predicted class (None for an empty response)."""
    if not found:
        raise ValueError("no responses to score: the accuracy log is empty")
    good = sum(1 for idx, cls in found.items() if cls is not None and cls == labels[idx])
    return {"good": good, "total": len(found), "accuracy": 100.0 * good / len(found)}


def accuracy_line(result: dict) -> str:
    return f"accuracy={result['accuracy']:.3f}%, good={result['good']}, total={result['total']}"


def predicted_classes(responses) -> dict[int, int | None]:
    """The class of each decoded response: ``int()`` of its first value, None when it is empty."""
    return {idx: int(values[0]) if values.size else None for idx, values in responses}


def score_responses(responses, names, labels, verbose=False, out=print) -> Score:
    """Score decoded first responses; prints what upstream prints (misses first when verbose)."""
    found = predicted_classes(responses)
    result = top1(found, labels)
    if verbose:
        for idx, cls in found.items():
            if cls != labels[idx]:
                out(f"{names[idx]}, expected: {labels[idx]}, found {'nothing' if cls is None else cls}")
    line = accuracy_line(result)
    out(line)
    if verbose:
        out(f"found and ignored {responses.duplicates} dupes")
    # The checker parses the printed value, so the verdict uses it rounded as printed.
    values = {"acc": round(result["accuracy"], 3)}
    return Score(values=values, lines=[line], scored=result["total"], duplicates=responses.duplicates,
                 details={"good": result["good"], "accuracy_unrounded": result["accuracy"]})


def score(responses, dataset, run) -> Score:
    """The run's scorer: the harness prints the lines itself, so nothing is printed here."""
    return score_responses(responses, dataset.names, dataset.labels, out=lambda _: None)
