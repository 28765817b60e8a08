"""Fréchet Inception distance as pytorch-fid (and so the reference) computes it.

Statistics: the mean and the unbiased covariance (``np.cov``, rows = images) of float64
features. Distance: ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrtm(S1 S2), where a product whose
square root is not finite is retried with 1e-6 added to both diagonals, and a complex root is
accepted (its real part) only if the imaginary parts of its diagonal are within 1e-3 of 0.
"""

from __future__ import annotations

import warnings

import numpy as np

EPS = 1e-6


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype=np.float64)
    return np.mean(features, axis=0), np.cov(features, rowvar=False)


def read_statistics(path) -> tuple[np.ndarray, np.ndarray]:
    """``mu`` and ``sigma`` of a reference statistics file (the reference's val2014.npz)."""
    with np.load(path, allow_pickle=False) as stats:
        return stats["mu"][:], stats["sigma"][:]


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    from scipy import linalg

    with warnings.catch_warnings():  # pytorch-fid asks scipy not to print (disp=False); same here
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        return linalg.sqrtm(matrix)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """The distance between N(mu1, sigma1) and N(mu2, sigma2); the reference passes its
    statistics file as the first pair and the generated images as the second."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"statistics of different sizes: mu {mu1.shape} vs {mu2.shape}, "
                         f"sigma {sigma1.shape} vs {sigma2.shape} (is the statistics file for this Inception?)")
    diff = mu1 - mu2
    covmean = _sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        print(f"fid calculation produces singular product; adding {EPS} to diagonal of cov estimates")
        offset = np.eye(sigma1.shape[0]) * EPS
        covmean = _sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"Imaginary component {np.max(np.abs(covmean.imag))}")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


class FeatureCollector:
    """Inception features of images fed one at a time, computed in batches, kept as float64 rows
    (about 16 KB per image) so that no decoded image outlives its batch."""

    def __init__(self, model, batch_size: int = 64, device="cpu"):
        self.model, self.batch_size, self.device = model, batch_size, device
        self.pending: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []

    def add(self, image: np.ndarray) -> None:
        """One HWC uint8 RGB image."""
        self.pending.append(image)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        import torch

        # ToTensor: uint8 HWC -> float32 CHW in [0, 1], contiguous as ToTensor makes it (a channels-last
        # layout would take other convolution kernels and move features by ~1e-4)
        batch = torch.from_numpy(np.stack(self.pending)).permute(0, 3, 1, 2).contiguous().float().div(255)
        batch = batch.to(self.device)
        with torch.no_grad():
            self.rows.append(self.model(batch).cpu().numpy().astype(np.float64))
        self.pending.clear()

    def features(self) -> np.ndarray:
        self.flush()
        return np.concatenate(self.rows) if self.rows else np.zeros((0, self.model.cfg.features))
