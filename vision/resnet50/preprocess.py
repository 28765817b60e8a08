"""ImageNet preprocessing of the reference PyTorch path, and its parallel on-disk cache.

Per image, as upstream's ``pre_process_imagenet_pytorch`` does it:
OpenCV decode (BGR) -> RGB -> PIL image -> resize the shorter side to 256 with PIL bilinear (the
longer side truncated to ``int(256 * long / short)``) -> centre crop 224 (offsets rounded half to
even) -> float32 in [0, 1], CHW -> normalise with the ImageNet mean and std.
The resize and crop use PIL exactly as torchvision does for PIL images; the tensor steps use torch
itself, so the float32 arithmetic is the same operations in the same order.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from harness import pool as processes
from harness import progress

VERSION = "pytorch-v1"  # bump when the output of preprocess() can change
SHORT_SIDE = 256
CROP = 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def resize_crop(path: str):
    """Decode, resize and crop one image; returns an RGB uint8 array of shape (224, 224, 3)."""
    import cv2
    from PIL import Image

    bgr = cv2.imread(path)
    if bgr is None:
        raise ValueError(f"OpenCV cannot decode {path}: is the file complete and an image?")
    image = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(SHORT_SIDE * long / short)
    size = (SHORT_SIDE, new_long) if width <= height else (new_long, SHORT_SIDE)
    if size != image.size:
        image = image.resize(size, Image.BILINEAR)
    width, height = image.size
    top = int(round((height - CROP) / 2.0))
    left = int(round((width - CROP) / 2.0))
    image = image.crop((left, top, left + CROP, top + CROP))
    return np.array(image, dtype=np.uint8, copy=True)


def preprocess(path: str) -> np.ndarray:
    """One image as the model's float32 input of shape (3, 224, 224)."""
    import torch

    tensor = torch.from_numpy(resize_crop(path)).permute(2, 0, 1).contiguous()
    tensor = tensor.to(dtype=torch.float32).div(255)
    mean = torch.as_tensor(MEAN, dtype=torch.float32)[:, None, None]
    std = torch.as_tensor(STD, dtype=torch.float32)[:, None, None]
    tensor = tensor.sub_(mean).div_(std)
    return np.asarray(tensor.numpy(), dtype=np.float32)


def cache_path(cache_dir: Path, name: str) -> Path:
    return cache_dir / (name.replace("/", "__") + ".npy")


def _store(job: tuple[str, str]) -> str:
    source, target = job
    array = preprocess(source)
    tmp = target + f".{os.getpid()}.tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, target)  # a killed worker leaves no half-written cache entry
    return target


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def build_cache(images: list[tuple[str, Path]], cache_dir: Path, workers: int) -> int:
    """Preprocess every ``(name, source path)`` not yet cached, in ``workers`` processes.

    Returns how many images were computed. Entries already present are reused, so an
    interrupted build resumes where it stopped.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(str(src), str(cache_path(cache_dir, name))) for name, src in images
            if not cache_path(cache_dir, name).is_file()]
    if not jobs:
        return 0
    if workers <= 1 or len(jobs) < 2 * workers:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # per-image tensors are small: extra threads only cost start-up
        try:
            for job in progress.track(jobs, "preprocessing", unit=" images"):
                _store(job)
        finally:
            torch.set_num_threads(threads)  # the model, loaded next in this process, wants them all
        return len(jobs)
    chunk = max(1, min(64, len(jobs) // (workers * 4)))
    with processes.executor(workers, initializer=_init_worker) as pool:
        for _ in progress.track(pool.map(_store, jobs, chunksize=chunk), "preprocessing", len(jobs), " images"):
            pass
    return len(jobs)
