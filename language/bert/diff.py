"""How two BERT runs differ: the start and end logits (largest absolute difference) and whether each
sample's most likely start and end positions are the same."""

from __future__ import annotations

import numpy as np

from harness.diff import Comparison


def compare_outputs(pairs, context=None) -> Comparison:
    total = same_start = same_end = 0
    largest, rows = 0.0, []
    for index, (start_a, end_a), (start_b, end_b) in pairs:
        total += 1
        difference = max(np.abs(start_b - start_a).max(), np.abs(end_b - end_a).max())
        start = int(np.argmax(start_a)) == int(np.argmax(start_b))
        end = int(np.argmax(end_a)) == int(np.argmax(end_b))
        same_start, same_end, largest = same_start + start, same_end + end, max(largest, float(difference))
        if difference > 0:
            rows.append({"index": index, "max_abs_logit_difference": float(difference),
                         "best_start_a": int(np.argmax(start_a)), "best_start_b": int(np.argmax(start_b)),
                         "best_end_a": int(np.argmax(end_a)), "best_end_b": int(np.argmax(end_b))})
    rows.sort(key=lambda r: (-r["max_abs_logit_difference"], r["index"]))
    return Comparison({"samples": total, "identical_logits": total - len(rows), "same_best_start": same_start,
                       "same_best_end": same_end, "max_abs_logit_difference": largest},
                      rows, "samples whose logits differ, largest difference first")
