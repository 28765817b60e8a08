"""How two ResNet50 runs differ: top-1 agreement, and the samples whose class differs."""

from __future__ import annotations

from harness.diff import Comparison


def top_class(values) -> int | None:
    """The class as metric.predicted_classes reads a response: int() of its first value, None when empty."""
    return int(values[0]) if values.size else None


def compare_outputs(pairs, context=None) -> Comparison:
    total, rows = 0, []
    for index, a, b in pairs:
        total += 1
        class_a, class_b = top_class(a), top_class(b)
        if class_a != class_b:
            rows.append({"index": index, "class_a": class_a, "class_b": class_b})
    rows.sort(key=lambda row: row["index"])
    agree = total - len(rows)
    return Comparison({"samples": total, "top1_agreement": agree, "top1_agreement_rate": agree / total if total else None,
                       "disagreements": len(rows)}, rows, "samples whose top-1 class differs, by index")
