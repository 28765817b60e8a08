"""How two 3D-UNet runs differ: DICE per case between the two runs' masks (run A's mask as the
target, as metric.dice_scores computes it against the ground truth), and the voxels that differ."""

from __future__ import annotations

import numpy as np

from harness.diff import Comparison

from .cases import INFERENCE_CASES
from .metric import dice_scores


def compare_outputs(pairs, context=None) -> Comparison:
    rows = []
    for index, a, b in pairs:
        row = {"index": index, "case": INFERENCE_CASES[index] if index < len(INFERENCE_CASES) else None,
               "voxels": int(a.size)}
        if a.shape != b.shape:
            rows.append({**row, "voxels_b": int(b.size)})  # no DICE: the two masks are of different volumes
            continue
        kidney, tumor = dice_scores(b, a)
        rows.append({**row, "voxels_differ": int(np.count_nonzero(a != b)), "kidney_dice": kidney,
                     "tumor_dice": tumor, "mean_dice": (kidney + tumor) / 2})
    rows.sort(key=lambda r: (r.get("mean_dice", -1.0), r["index"]))  # least alike first
    means = [r["mean_dice"] for r in rows if "mean_dice" in r]
    figures = {"cases": len(rows), "identical_cases": sum(1 for r in rows if r.get("voxels_differ") == 0),
               "different_shapes": len(rows) - len(means), "mean_dice": float(np.mean(means)) if means else None,
               "min_dice": min(means, default=None), "voxels_differ": sum(r.get("voxels_differ", 0) for r in rows)}
    return Comparison(figures, rows, "every case, least alike first (DICE of B's mask against A's)")
