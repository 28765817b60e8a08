"""Sliding-window segmentation of one preprocessed volume, as the reference SUT computes it.

Windows of ROI^3 voxels start every ROI/2 voxels along each axis (last axis innermost). Each
window's logits are weighted by a Gaussian importance patch and summed into a full-size float32
result in window order; the label of a voxel is the argmax over the classes.

The reference also sums the patches into a normalisation map and divides the result by it (in
float64) before the argmax. That map is positive and the same for every class of a voxel, and
correctly rounded division by a positive number never reorders two distinct float32 values, so
the argmax, ties included (first class wins), is the same without it: it is skipped here.

Windows may be run through the model several at a time (``windows_per_batch``); the results are
still summed in the reference's order, so only the model's own arithmetic could differ.
"""

from __future__ import annotations

import numpy as np

from .preprocess import stride_of


def gaussian_patch(roi: int) -> np.ndarray:
    """The reference's importance weights: a Gaussian of sigma ROI/8 per axis, the 3-D product's
    cube root, scaled to a maximum of 1, as float32."""
    from scipy.signal.windows import gaussian

    line = gaussian(roi, 0.125 * roi)
    cube = np.outer(np.outer(line, line), line).reshape(roi, roi, roi)
    cube = np.cbrt(cube)
    cube /= cube.max()
    return cube.astype(np.float32)


def window_origins(shape, roi: int) -> list[tuple[int, int, int]]:
    """Window start voxels for a (D, H, W) volume whose sides are stride multiples >= roi."""
    stride = stride_of(roi)
    counts = [(n - roi) // stride + 1 for n in shape]
    return [(i * stride, j * stride, k * stride)
            for i in range(counts[0]) for j in range(counts[1]) for k in range(counts[2])]


class SlidingWindow:
    """Segments volumes with ``model`` on ``device``; the model runs in ``dtype``, sums in float32."""

    def __init__(self, model, roi: int, device, dtype, windows_per_batch: int = 1):
        import torch

        self.torch, self.model, self.roi, self.device, self.dtype = torch, model, roi, device, dtype
        self.windows_per_batch = max(1, int(windows_per_batch))
        self.patch = torch.from_numpy(gaussian_patch(roi)).to(device)

    def segment(self, image: np.ndarray) -> np.ndarray:
        """(1, D, H, W) float32 -> labels uint8 of shape (1, 1, D, H, W), as the reference returns."""
        torch, r = self.torch, self.roi
        volume = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)[np.newaxis]).to(self.device)
        origins = window_origins(volume.shape[2:], r)
        result = None
        with torch.inference_mode():
            for start in range(0, len(origins), self.windows_per_batch):
                group = origins[start:start + self.windows_per_batch]
                batch = torch.cat([volume[..., i:i + r, j:j + r, k:k + r] for i, j, k in group])
                logits = self.model(batch.to(self.dtype)).float()
                if result is None:
                    result = torch.zeros((1, logits.shape[1], *volume.shape[2:]), dtype=torch.float32,
                                         device=self.device)
                for n, (i, j, k) in enumerate(group):
                    result[..., i:i + r, j:j + r, k:k + r] += logits[n:n + 1] * self.patch
            labels = result.argmax(dim=1).to(torch.uint8)
        return labels.cpu().numpy()[np.newaxis]

    def windows(self, image: np.ndarray) -> int:
        return len(window_origins(image.shape[1:], self.roi))
