"""The QSL side of SDXL: the first N_COUNT COCO captions and the one fixed latent.

The reference feeds every prompt the same initial latent, ``latents.pt`` (seed 0, shape
1x4x128x128 for 1024x1024 images), cast to the run's data type. Captions are small, so all of
them stay in memory and load/unload have nothing to do. The dataset also carries what scoring
needs (the artifacts and the run's device), since the harness hands the metric only the dataset.
"""

from __future__ import annotations

import numpy as np

from harness.errors import MissingArtifactError

from . import coco


def read_latent(path) -> np.ndarray:
    """The fixed latent as float32 (1, 4, h, w); torch.load runs no code with weights_only."""
    import torch

    value = torch.load(str(path), map_location="cpu", weights_only=True)
    if not isinstance(value, torch.Tensor) or value.ndim != 4 or value.shape[:2] != (1, 4):
        raise ValueError(f"{path} does not hold a (1, 4, h, w) latent tensor")
    return value.float().numpy()


class CocoCaptions:
    def __init__(self, artifacts, config):
        captions = coco.read_captions(artifacts["captions"].path)
        if len(captions) < config.n_count:
            raise MissingArtifactError(f"N_COUNT={config.n_count} but {artifacts['captions'].path} "
                                       f"has {len(captions)} captions")
        self.captions = captions[: config.n_count]
        self.count = len(self.captions)
        self.sample_ids = coco.read_sample_ids(artifacts["sample_ids"].path)
        self.artifacts = artifacts
        self.config = config
        self.latent: np.ndarray | None = None

    def prepare(self) -> None:
        self.latent = read_latent(self.artifacts["latents"].path)
        print(f"   fixed latent {tuple(self.latent.shape)} for every prompt")

    def load(self, indices) -> None:
        pass  # captions are in memory

    def unload(self, indices) -> None:
        pass

    def scoring_device(self):
        from harness.torch_device import resolve_device

        return resolve_device(self.config.device)
