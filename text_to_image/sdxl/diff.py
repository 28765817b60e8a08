"""How two SDXL runs differ: per image, the pixel values that differ and by how much, and, where the
scoring artifacts resolve, the CLIP score of each run's image against its caption (B - A). Only the
images that differ are scored: an identical image's CLIP difference is 0, so ``clip_difference``,
the mean over every image, is what the runs' CLIP_SCORE metrics differ by."""

from __future__ import annotations

import numpy as np

from harness.diff import Comparison

from .metric import as_image


def pixel_difference(a: np.ndarray, b: np.ndarray) -> dict:
    """How the uint8 values of two images differ.

        >>> pixel_difference(np.array([10, 20, 30], np.uint8), np.array([10, 25, 0], np.uint8))
        {'values_differ': 2, 'max_abs_pixel_difference': 30, 'mean_abs_pixel_difference': 11.666666666666666}
    """
    difference = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return {"values_differ": int(np.count_nonzero(difference)), "max_abs_pixel_difference": int(difference.max()),
            "mean_abs_pixel_difference": float(difference.mean())}


def compare_images(pairs, clip=None, captions=None) -> Comparison:
    """``clip``: a clip_score.ClipScorer, with ``captions`` by sample index; None: pixels only."""
    from PIL import Image

    total, rows, clip_sum, value_count, value_sum = 0, [], 0.0, 0, 0
    for index, a, b in pairs:
        total += 1
        value_count += a.size
        if a.shape == b.shape and np.array_equal(a, b):
            continue
        if a.shape != b.shape:
            rows.append({"index": index, "values_a": int(a.size), "values_b": int(b.size)})
            continue
        row = {"index": index, **pixel_difference(a, b)}
        value_sum += row["mean_abs_pixel_difference"] * a.size
        if clip is not None:
            score_a, score_b = clip.scores([Image.fromarray(as_image(v)) for v in (a, b)], [captions[index]] * 2)
            row.update(clip_a=score_a, clip_b=score_b, clip_difference=score_b - score_a)
            clip_sum += score_b - score_a
        rows.append(row)
    rows.sort(key=lambda r: (-r.get("mean_abs_pixel_difference", float("inf")), r["index"]))
    figures = {"images": total, "identical_images": total - len(rows),
               "max_abs_pixel_difference": max((r.get("max_abs_pixel_difference", 0) for r in rows), default=0),
               "mean_abs_pixel_difference": value_sum / value_count if value_count else None}
    if clip is not None:
        figures["clip_difference"] = clip_sum / total if total else None
    return Comparison(figures, rows, "images that differ, largest mean pixel difference first")


def clip_scorer(context):
    """The CLIP model and the captions, from the run's verified artifacts, on the GPU when there is one."""
    from harness.torch_device import resolve_device

    from . import clip_model, clip_score, clip_tokenizer, coco

    found = context.artifacts("clip_weights", "clip_vocab", "captions")
    device = resolve_device("auto")
    scorer = clip_score.ClipScorer(clip_model.load(found["clip_weights"].path, device),
                                   clip_tokenizer.ClipTokenizer(found["clip_vocab"].path), device)
    return scorer, coco.read_captions(found["captions"].path)


def compare_outputs(pairs, context) -> Comparison:
    clip, captions = context.optional("CLIP scores", lambda: clip_scorer(context)) or (None, None)
    return compare_images(pairs, clip, captions)
