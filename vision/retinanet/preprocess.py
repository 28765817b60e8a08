"""OpenImages preprocessing of the reference RetinaNet path (``pre_process_openimages_retinanet``).

OpenCV decode (BGR uint8) -> float32 -> RGB -> ``cv2.resize`` to 800x800 with INTER_LINEAR on the
float32 image (no aspect preservation) -> divide by 255 -> CHW. The model normalises with the
ImageNet mean and std itself. The order matters: resizing float32 data gives other values than
resizing the uint8 image.
"""

from __future__ import annotations

import numpy as np

SIZE = (800, 800)  # height, width


def preprocess(path: str, size: tuple[int, int] = SIZE) -> np.ndarray:
    """One image as the model's float32 input of shape (3, height, width)."""
    import cv2

    bgr = cv2.imread(path)
    if bgr is None:
        raise ValueError(f"OpenCV cannot decode {path}: is the file complete and an image?")
    image = np.array(bgr, dtype=np.float32)
    if image.ndim < 3 or image.shape[2] != 3:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    image /= 255.0
    return np.ascontiguousarray(image.transpose(2, 0, 1))
