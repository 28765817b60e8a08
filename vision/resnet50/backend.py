"""The reference PyTorch backend: ResNet-50 v1.5, argmax of the logits as the predicted class."""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype


class ReferenceBackend(Backend):
    """Loads the model once; ``predict(indices)`` returns the float32 class index of each sample,
    stacked as an array of shape (len(indices), 1)."""

    def __init__(self, dataset, run):
        import torch

        from .model import load

        super().__init__(dataset, run)
        config, artifacts = run.config, run.artifacts
        self.torch = torch
        self.device = resolve_device(config.device)
        self.dtype = torch_dtype(config.data_type)
        try:
            self.model = load(str(artifacts["weights"].path)).to(self.device, self.dtype)
        except (RuntimeError, ValueError) as exc:
            raise HarnessError(f"cannot load ResNet weights {artifacts['weights'].path}: {exc}") from None
        print(f"   model on {self.device} in {config.data_type}")

    def predict(self, indices) -> np.ndarray:
        torch = self.torch
        batch = torch.from_numpy(self.dataset.batch(indices)).to(self.device, self.dtype)
        with torch.inference_mode():
            classes = self.model(batch).argmax(dim=1)
        return classes.to("cpu", torch.float32).numpy().reshape(len(indices), 1)
