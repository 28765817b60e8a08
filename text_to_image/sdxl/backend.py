"""The reference PyTorch backend: the SDXL pipeline of the checkpoint, one batch of captions per
call; the response is each image's HWC uint8 bytes."""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype


class ReferenceBackend(Backend):
    def __init__(self, dataset, run):
        import torch

        from .generation import Generator, load_pipeline

        super().__init__(dataset, run)
        config = run.config
        device = resolve_device(config.device)
        dtype = torch_dtype(config.data_type)
        if device.type == "cpu" and dtype != torch.float32:
            # as the seed's eval script: half precision is not a CPU path of the reference
            note = f"DEVICE is the CPU: generation ran in float32, not {config.data_type}"
            print(f"   {note}")
            self.notes = (note,)  # the core adds them to the verdict
            dtype = torch.float32
        model = run.artifact_path("model")
        try:
            pipe = load_pipeline(model, dtype, device)
        except (OSError, ValueError, KeyError) as exc:
            raise HarnessError(f"cannot load the SDXL pipeline from {model} (checkpoint_pipe/ and "
                               f"checkpoint_scheduler/ expected): {exc}") from None
        self.generate = Generator(pipe, dataset.latent, dtype, device)
        side = pipe.unet.config.sample_size * pipe.vae_scale_factor
        print(f"   SDXL pipeline on {device} in {str(dtype).removeprefix('torch.')}: {side}x{side} images")

    def predict(self, indices) -> np.ndarray:
        return self.generate([self.dataset.captions[i] for i in indices])
