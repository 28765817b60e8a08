"""The reference PyTorch backend: the KiTS19 3D U-Net checkpoint, sliding-window segmentation.

BATCH_SIZE is the number of ROI windows per forward pass (the reference runs one at a time; the
sums are taken in the reference's order either way). Each sample's response is its label volume,
D*H*W bytes of 0/1/2, as the reference SUT sends it.
"""

from __future__ import annotations

import time

from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype

from .sliding_window import SlidingWindow


class ReferenceBackend:
    def __init__(self, dataset, artifacts, config):
        from .model import load

        self.dataset = dataset
        device = resolve_device(config.device)
        try:
            model = load(str(artifacts["weights"].path)).to(device, torch_dtype(config.data_type))
        except (RuntimeError, ValueError, OSError) as exc:
            raise HarnessError(f"cannot load the 3D U-Net checkpoint {artifacts['weights'].path}: {exc}") from None
        self.window = SlidingWindow(model, dataset.roi, device, torch_dtype(config.data_type), config.batch_size)
        self.done = 0
        # what changes the outputs beyond the artifacts' checksums (the harness keys its resume store on it)
        self.cache_settings = {"roi": dataset.roi, "preprocessing": dataset.version}
        print(f"   model on {device} in {config.data_type}, ROI {dataset.roi}, "
              f"{config.batch_size} window(s) per forward pass")

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
