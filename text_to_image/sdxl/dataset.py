"""The QSL side of SDXL: the COCO captions and the one fixed latent.

The reference feeds every prompt the same initial latent, ``latents.pt`` (seed 0, shape
1x4x128x128 for 1024x1024 images), cast to the run's data type. Captions are small, so all of
them stay in memory and load/unload have nothing to do; the scorer reads them too (CLIP score).
"""

from __future__ import annotations

import numpy as np

from harness.contract import Dataset

from . import coco


def read_latent(path) -> np.ndarray:
    """The fixed latent as float32 (1, 4, h, w); torch.load runs no code with weights_only."""
    import torch

    value = torch.load(str(path), map_location="cpu", weights_only=True)
    if not isinstance(value, torch.Tensor) or value.ndim != 4 or value.shape[:2] != (1, 4):
        raise ValueError(f"{path} does not hold a (1, 4, h, w) latent tensor")
    return value.float().numpy()


class CocoCaptions(Dataset):
    def __init__(self, run):
        super().__init__(run)
        self.captions = coco.read_captions(run.artifact_path("captions"))
        self.latent: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.captions)

    def prepare(self) -> None:
        self.latent = read_latent(self.run.artifact_path("latents"))
        print(f"   fixed latent {tuple(self.latent.shape)} for every prompt")

    def load(self, indices) -> None:
        pass  # captions are in memory

    def unload(self, indices) -> None:
        pass
