"""DICE of kidney and tumour exactly as the reference's ``accuracy_kits.py`` computes it.

Per case, for class c in {1 kidney, 2 tumour} over the whole preprocessed volume (padding
included; "kidney" is label 1 alone, not kidney+tumour as in the KiTS19 challenge)::

    dice_c = (2 * |P=c & G=c| + 1e-6) / (|G=c| + |P=c| + 1e-6)

``composite`` is the mean of the two. The reported figures are the column means over the scored
cases (a NaN would count as 0), printed as ``Accuracy: mean = <.5f>, kidney = <.4f>, tumor = <.4f>``.
The counts are exact integers, so this equals the reference's one-hot float64 sums bit for bit.

Worked example (tumour absent from both: 1.0 by the smoothing)::

    >>> import numpy as np
    >>> dice_scores(np.array([0, 1, 1, 1, 0]), np.array([0, 1, 1, 0, 0]))
    (0.800000039999992, 1.0)
    >>> accuracy_line({"composite": 0.9, "kidney": 0.8, "tumor": 1.0})
    'Accuracy: mean = 0.90000, kidney = 0.8000, tumor = 1.0000'
"""

from __future__ import annotations

import numpy as np

from harness.score import Score


SMOOTH = 1e-6
CLASSES = ((1, "kidney"), (2, "tumor"))


def dice_scores(prediction: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(kidney, tumour) DICE of one case; labels must be 0, 1 or 2 and the shapes equal."""
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {prediction.shape} and ground truth {target.shape} differ in shape")
    if prediction.size and int(prediction.max()) > 2:
        raise ValueError(f"prediction has label {int(prediction.max())}; KiTS19 labels are 0, 1, 2")
    scores = []
    for label, _ in CLASSES:
        p, g = prediction == label, target == label
        intersection = float(np.count_nonzero(p & g))
        target_sum, prediction_sum = float(np.count_nonzero(g)), float(np.count_nonzero(p))
        scores.append((2.0 * intersection + SMOOTH) / (target_sum + prediction_sum + SMOOTH))
    return scores[0], scores[1]


def summarise(per_case: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Column means as the reference's summary table takes them (numpy sums; NaN counts as 0)."""
    if not per_case:
        raise ValueError("no predictions to score: the accuracy log is empty")
    kidney = np.array([k for k, _ in per_case.values()], dtype=np.float64)
    tumor = np.array([t for _, t in per_case.values()], dtype=np.float64)
    composite = (kidney + tumor) / 2
    return {name: float(np.nan_to_num(col, nan=0.0).sum() / len(col))
            for name, col in (("kidney", kidney), ("tumor", tumor), ("composite", composite))}


def accuracy_line(means: dict[str, float]) -> str:
    return f"Accuracy: mean = {means['composite']:.5f}, kidney = {means['kidney']:.4f}, tumor = {means['tumor']:.4f}"


def partial_note(scored: int, total: int) -> str | None:
    if scored >= total:
        return None
    return (f"partial verdict: DICE over {scored} of {total} cases; the official figure needs all {total} "
            "(case_00185 counts twice, via case_00400)")


def score(responses, dataset, run) -> Score:
    """The run's scorer on the decoded (uint8) label volumes: ground truth from the preprocessed
    pickles (the same values the reference reads back from its NIfTI copies)."""
    per_case = {}
    for idx, flat in responses:
        case, shape = dataset.cases[idx], dataset.image_shape(idx)
        if flat.size != int(np.prod(shape)):
            raise ValueError(f"{case}: the response has {flat.size} voxels, the volume {shape} "
                             f"has {int(np.prod(shape))}")
        per_case[case] = dice_scores(flat.reshape(shape), dataset.label(idx))
    per_case = {c: per_case[c] for c in dataset.cases if c in per_case}  # the reference sums in case order
    means = summarise(per_case)
    mismatches = dataset.checksum_mismatches(list(per_case))
    notes = [n for n in (partial_note(len(per_case), dataset.size),) if n]
    if mismatches:
        notes.append(f"{len(mismatches)} preprocessed case(s) differ from the reference checksums "
                     f"({', '.join(mismatches[:5])}); see the benchmark README")
    return Score(values={"DICE": round(means["composite"], 5)}, lines=[accuracy_line(means)], scored=len(per_case),
                 duplicates=responses.duplicates, notes=notes,
                 details={"kidney": means["kidney"], "tumor": means["tumor"], "composite_unrounded": means["composite"],
                          "per_case": {c: {"kidney": k, "tumor": t} for c, (k, t) in per_case.items()},
                          "checksum_mismatches": mismatches})
