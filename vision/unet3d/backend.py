"""The reference PyTorch backend: the KiTS19 3D U-Net checkpoint, sliding-window segmentation.

BATCH_SIZE is the number of ROI windows per forward pass (the reference runs one at a time; the
sums are taken in the reference's order either way). Each sample's response is its label volume,
D*H*W bytes of 0/1/2, as the reference SUT sends it.
"""

from __future__ import annotations

import time

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype

from .dataset import VERSION
from .sliding_window import SlidingWindow


class ReferenceBackend(Backend):
    def __init__(self, dataset, run):
        from .model import load

        super().__init__(dataset, run)
        config = run.config
        device = resolve_device(config.device)
        weights = run.artifact_path("weights")
        try:
            model = load(str(weights)).to(device, torch_dtype(config.data_type))
        except (RuntimeError, ValueError, OSError) as exc:
            raise HarnessError(f"cannot load the 3D U-Net checkpoint {weights}: {exc}") from None
        self.window = SlidingWindow(model, dataset.roi, device, torch_dtype(config.data_type), config.batch_size)
        self.done = 0
        print(f"   model on {device} in {config.data_type}, ROI {dataset.roi}, "
              f"{config.batch_size} window(s) per forward pass")

    def cache_settings(self) -> dict:
        """The ROI and the preprocessing version change the outputs beyond the artifacts' checksums."""
        return {"roi": self.dataset.roi, "preprocessing": VERSION}

    def predict(self, indices) -> list:
        outputs = []
        for index in indices:
            image = self.dataset.image(index)
            began = time.monotonic()
            outputs.append(self.window.segment(image))
            self.done += 1
            print(f"   {self.done:3d} -- {self.dataset.cases[index]} shape {tuple(image.shape)}, "
                  f"{self.window.windows(image)} sub-volumes, {time.monotonic() - began:.2f} s", flush=True)
        return outputs
