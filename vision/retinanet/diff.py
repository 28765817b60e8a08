"""How two RetinaNet runs differ: each image's detections matched box to box (same label, IoU of at
least 0.5, greedily by IoU), the matched boxes' IoU and score differences, and the detections of
one run that match none of the other's."""

from __future__ import annotations

import numpy as np

from harness.diff import Comparison

from .codec import detections

MATCH_IOU = 0.5  # COCO's loosest threshold: a pair below it is two different detections


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` with every box of ``b`` (rows of ymin, xmin, ymax, xmax).

        >>> iou_matrix(np.array([[0., 0., 1., 1.]]), np.array([[0., 0.5, 1., 1.5], [2., 2., 3., 3.]])).round(4)
        array([[0.3333, 0.    ]])
    """
    top, left = np.maximum(a[:, None, 0], b[None, :, 0]), np.maximum(a[:, None, 1], b[None, :, 1])
    bottom, right = np.minimum(a[:, None, 2], b[None, :, 2]), np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    area_a, area_b = ((x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1]) for x in (a, b))
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match(det_a: np.ndarray, det_b: np.ndarray) -> list[tuple[int, int, float]]:
    """``(row in a, row in b, IoU)`` of matched detections ((n, 7) arrays as codec.detections gives them)."""
    iou = iou_matrix(det_a[:, 1:5].astype(np.float64), det_b[:, 1:5].astype(np.float64))
    iou[det_a[:, None, 6] != det_b[None, :, 6]] = 0.0
    candidates = np.argwhere(iou >= MATCH_IOU)
    order = np.argsort(-iou[candidates[:, 0], candidates[:, 1]], kind="stable")
    used_a, used_b, matches = set(), set(), []
    for i, j in candidates[order].tolist():
        if i not in used_a and j not in used_b:
            used_a.add(i), used_b.add(j), matches.append((i, j, float(iou[i, j])))
    return matches


def compare_outputs(pairs, context=None) -> Comparison:
    total = identical = boxes_a = boxes_b = matched = 0
    iou_sum, iou_min, score_sum, score_max, rows = 0.0, 1.0, 0.0, 0.0, []
    for index, a, b in pairs:
        det_a, det_b = detections(a), detections(b)
        total, boxes_a, boxes_b = total + 1, boxes_a + len(det_a), boxes_b + len(det_b)
        if det_a.shape == det_b.shape and np.array_equal(det_a[:, 1:], det_b[:, 1:]):  # column 0: the index
            identical, matched, iou_sum = identical + 1, matched + len(det_a), iou_sum + len(det_a)
            continue
        found = match(det_a, det_b)
        ious = np.array([m[2] for m in found])
        scores = np.array([abs(float(det_b[j, 5]) - float(det_a[i, 5])) for i, j, _ in found])
        matched, iou_sum, score_sum = matched + len(found), iou_sum + ious.sum(), score_sum + scores.sum()
        iou_min, score_max = min(iou_min, ious.min(initial=1.0)), max(score_max, scores.max(initial=0.0))
        rows.append({"index": index, "boxes_a": len(det_a), "boxes_b": len(det_b), "matched": len(found),
                     "unmatched_a": len(det_a) - len(found), "unmatched_b": len(det_b) - len(found),
                     "min_iou": float(ious.min()) if found else None, "mean_iou": float(ious.mean()) if found else None,
                     "max_abs_score_difference": float(scores.max()) if found else None})
    rows.sort(key=lambda r: (-(r["unmatched_a"] + r["unmatched_b"]), r["min_iou"] or 0.0, r["index"]))
    figures = {"images": total, "identical_images": identical, "boxes_a": boxes_a, "boxes_b": boxes_b,
               "matched": matched, "unmatched_a": boxes_a - matched, "unmatched_b": boxes_b - matched,
               "matched_iou": {"min": iou_min, "mean": iou_sum / matched} if matched else None,
               "score_difference": {"max_abs": score_max, "mean_abs": score_sum / matched} if matched else None}
    return Comparison(figures, rows, "images whose detections differ, most unmatched boxes first, then lowest IoU")
