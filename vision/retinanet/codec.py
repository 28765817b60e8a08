"""The response format: 7 float32 values per detection, as upstream's post-processor packs them.

``[qsl_idx, ymin, xmin, ymax, xmax, score, label]`` with the box divided by the model's input
size (800) in float32, detections in model order, stopping at the first score below 0.05; an
image without detections answers zero bytes. ``CODEC`` moves the flat float32 array through
LoadGen and back (the harness's float32 codec); ``pack`` and ``detections`` are the two ends of
the layout.
"""

from __future__ import annotations

import numpy as np

from harness.codecs import FLOAT32 as CODEC  # noqa: F401 - the declaration names it

VALUES_PER_DETECTION = 7
SCORE_THRESHOLD = np.float32(0.05)


def pack(qsl_idx: int, boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
         height: int = 800, width: int = 800) -> np.ndarray:
    """One sample's detections (boxes x1, y1, x2, y2 in input pixels) as a flat float32 array."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    below = np.nonzero(scores < SCORE_THRESHOLD)[0]
    n = int(below[0]) if below.size else len(scores)  # upstream stops at the first low score
    out = np.empty((n, VALUES_PER_DETECTION), dtype=np.float32)
    out[:, 0] = np.float32(qsl_idx)
    out[:, 1] = boxes[:n, 1] / np.float32(height)
    out[:, 2] = boxes[:n, 0] / np.float32(width)
    out[:, 3] = boxes[:n, 3] / np.float32(height)
    out[:, 4] = boxes[:n, 2] / np.float32(width)
    out[:, 5] = scores[:n]
    out[:, 6] = np.asarray(labels).reshape(-1)[:n].astype(np.float32)
    return out.reshape(-1)


def detections(values: np.ndarray) -> np.ndarray:
    """A decoded response's detections as a (n, 7) float32 array; trailing values of a partial
    record are ignored (upstream's loop would fail on them).

        >>> detections(np.arange(9, dtype=np.float32)).tolist()
        [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]
    """
    n = len(values) // VALUES_PER_DETECTION
    return values[: n * VALUES_PER_DETECTION].reshape(n, VALUES_PER_DETECTION)
