"""KiTS19 preprocessing exactly as the reference's ``preprocess.py`` does it, on current libraries.

Per case: read ``imaging.nii.gz`` and ``segmentation.nii.gz`` with nibabel; resample both to the
common voxel spacing (1.6, 1.2, 1.2) mm with ``scipy.ndimage.zoom`` (linear for the image, nearest
for the labels, outside filled with the volume's minimum, ``grid_mode=False``); clip the image to
[-79, 304] HU and standardise with mean 101.0 and deviation 76.9; edge-pad every axis shorter
than the ROI; then crop or pad each axis to a multiple of the sliding-window stride (ROI / 2): a
remainder below half a stride is cropped, anything else is padded with -2.2 (labels with 0), and
an axis still shorter than the ROI gets one more stride.

Worked example of the last step at the reference ROI of 128 (stride 64)::

    >>> window_friendly_shape((190, 392, 392), 128)
    (192, 384, 384)
    >>> window_friendly_shape((100, 300, 300), 128)
    (128, 320, 320)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROI = 128
OVERLAP = 0.5
TARGET_SPACING = (1.6, 1.2, 1.2)  # mm, per array axis as nibabel returns it
CLIP_MIN, CLIP_MAX = -79.0, 304.0
MEAN, STDDEV = 101.0, 76.9
PADDING_VALUE = -2.2


def stride_of(roi: int) -> int:
    return int(roi * (1 - OVERLAP))


def reshaped_affine(affine: np.ndarray) -> np.ndarray:
    """The affine of the resampled volume: each axis's spacing replaced by the target spacing,
    keeping its sign (KiTS affines have one non-zero per spatial row); translation kept."""
    out = affine.copy()
    target = np.array(TARGET_SPACING)
    for row in range(3):
        column = np.where(affine[row][:-1] != 0)
        sign = -1 if affine[row][column] < 0 else 1
        out[row][column] = target[column] * sign
    return out


def resample(image: np.ndarray, label: np.ndarray, spacing: list[float]):
    """Both volumes on the target spacing; returns (image, label, zoom factor)."""
    from scipy.ndimage import zoom

    factor = np.array(spacing) / np.array(TARGET_SPACING)
    if spacing != list(TARGET_SPACING):
        image = zoom(image, factor, order=1, mode="constant", cval=image.min(), grid_mode=False)
        label = zoom(label, factor, order=0, mode="constant", cval=label.min(), grid_mode=False)
    return image, label, factor


def normalise(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, CLIP_MIN, CLIP_MAX) - MEAN) / STDDEV  # float32 stays float32


def pad_to_roi(volume: np.ndarray, roi: int) -> np.ndarray:
    """Edge-pad each spatial axis of a (1, D, H, W) volume up to ``roi``, the extra split in half."""
    short = [max(0, roi - n) for n in volume.shape[1:]]
    return np.pad(volume, [(0, 0)] + [(s // 2, s - s // 2) for s in short], mode="edge")


def _crops(shape, roi: int) -> list[int]:
    stride = stride_of(roi)
    return [n % stride if n % stride < stride // 2 else 0 for n in shape]


def _pads(shape, roi: int) -> list[int]:
    stride = stride_of(roi)
    pads = [(stride - n % stride) % stride for n in shape]
    return [p if n + p >= roi else p + stride for n, p in zip(shape, pads)]


def window_friendly_shape(shape, roi: int) -> tuple[int, ...]:
    cropped = [n - c for n, c in zip(shape, _crops(shape, roi))]
    return tuple(n + p for n, p in zip(cropped, _pads(cropped, roi)))


def fit_to_windows(volume: np.ndarray, roi: int, value: float) -> np.ndarray:
    """Crop, then constant-pad a (1, D, H, W) volume so every axis is a stride multiple >= roi."""
    shape = volume.shape[1:]
    crops = _crops(shape, roi)
    volume = volume[(...,) + tuple(slice(c // 2, n - (c - c // 2)) for n, c in zip(shape, crops))]
    pads = _pads(volume.shape[1:], roi)
    return np.pad(volume, [(0, 0)] + [(p // 2, p - p // 2) for p in pads], mode="constant",
                  constant_values=[value])


def preprocess_case(case_dir: Path, roi: int = ROI):
    """One raw case -> (image float32 (1,D,H,W), label uint8 (1,D,H,W), aux dict)."""
    import nibabel

    image_file = nibabel.load(Path(case_dir, "imaging.nii.gz").absolute())
    label_file = nibabel.load(Path(case_dir, "segmentation.nii.gz").absolute())
    spacing = image_file.header["pixdim"][1:4].tolist()
    affine = image_file.affine
    image = image_file.get_fdata().astype(np.float32)
    label = label_file.get_fdata().astype(np.uint8)
    image, label, factor = resample(image, label, spacing)
    image, label = normalise(image[np.newaxis].copy()), label[np.newaxis]
    image, label = pad_to_roi(image, roi), pad_to_roi(label, roi)
    image, label = fit_to_windows(image, roi, PADDING_VALUE), fit_to_windows(label, roi, 0)
    image, label = image.astype(np.float32), label.astype(np.uint8)
    aux = {"original_affine": affine, "reshaped_affine": reshaped_affine(affine), "zoom_factor": factor,
           "image_shape": image.shape}
    return image, label, aux
