"""How two DLRM-v2 runs differ: the absolute difference of every predicted click probability (max
and mean, per sample and overall); the labels logged beside them must be the same."""

from __future__ import annotations

import numpy as np

from harness.diff import Comparison

MAX_ROWS = 1000  # a full run has 330,067 samples: list the most different only


def compare_outputs(pairs, context=None) -> Comparison:
    total = identical = predictions = label_mismatches = 0
    abs_sum, abs_max, rows, mismatched = 0.0, 0.0, [], []
    for index, a, b in pairs:
        total += 1
        if a.size != b.size or a.size % 2:
            mismatched.append(index)  # not the same [prediction, label] pairs: nothing to subtract
            continue
        pairs_a, pairs_b = a.reshape(-1, 2).astype(np.float64), b.reshape(-1, 2).astype(np.float64)
        difference = np.abs(pairs_b[:, 0] - pairs_a[:, 0])
        labels = int(np.count_nonzero(pairs_a[:, 1] != pairs_b[:, 1]))
        predictions, label_mismatches = predictions + len(difference), label_mismatches + labels
        abs_sum, abs_max = abs_sum + difference.sum(), max(abs_max, difference.max(initial=0.0))
        if not difference.any() and not labels:
            identical += 1
            continue
        rows.append({"index": index, "pairs": len(difference), "max_abs_difference": float(difference.max()),
                     "mean_abs_difference": float(difference.mean()), "label_mismatches": labels})
    rows.sort(key=lambda r: (-r["max_abs_difference"], r["index"]))
    notes = [f"{len(rows) - MAX_ROWS} more samples differ than the {MAX_ROWS} listed"] if len(rows) > MAX_ROWS else []
    if mismatched:
        notes.append(f"{len(mismatched)} sample(s) hold different numbers of pairs in the two logs: {mismatched[:20]}")
    figures = {"samples": total, "identical_samples": identical, "predictions": predictions,
               "max_abs_difference": abs_max, "mean_abs_difference": abs_sum / predictions if predictions else None,
               "label_mismatches": label_mismatches, "samples_of_other_sizes": len(mismatched)}
    return Comparison(figures, rows[:MAX_ROWS], "samples whose predictions differ, largest difference first", notes)
