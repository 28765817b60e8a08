"""The reference PyTorch backend: the RetinaNet model, its detections packed per sample."""

from __future__ import annotations

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype

from . import codec


class ReferenceBackend(Backend):
    """Loads the model once (code-free, see harness/torchscript.py); ``predict(indices)`` returns one
    flat float32 array of 7-value detections per sample (see codec.py)."""

    def __init__(self, dataset, run):
        import torch

        from .model import load

        super().__init__(dataset, run)
        config = run.config
        self.torch = torch
        self.device = resolve_device(config.device)
        self.dtype = torch_dtype(config.data_type)
        path = run.artifact_path("weights")
        try:
            self.model = load(path).to(self.device, self.dtype)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise HarnessError(f"cannot load RetinaNet weights {path}: {exc}") from None
        self.height, self.width = self.model.image_size
        print(f"   model on {self.device} in {config.data_type}")

    def predict(self, indices) -> list:
        torch = self.torch
        batch = torch.from_numpy(self.dataset.batch(indices)).to(self.device, self.dtype)
        with torch.inference_mode():
            found = self.model(batch)
        return [codec.pack(idx, d["boxes"].numpy(), d["scores"].numpy(), d["labels"].numpy(),
                           self.height, self.width) for idx, d in zip(indices, found)]
