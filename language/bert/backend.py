"""The reference PyTorch backend: BERT-Large QA logits for a batch of features.

The reference runs one feature at a time; features are padded to 384 positions either way, so a
batch computes the same function (up to the float rounding of batched kernels).
"""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype


class ReferenceBackend(Backend):
    """``predict(indices)`` returns float32 logits of shape (len(indices), 384, 2): start and end
    logit per position, the layout of the reference SUT's response."""

    def __init__(self, dataset, run):
        import torch

        from .model import load

        super().__init__(dataset, run)
        config = run.config
        self.torch = torch
        self.device = resolve_device(config.device)
        self.dtype = torch_dtype(config.data_type)
        try:
            model = load(run.artifact_path("config"), run.artifact_path("weights"))
        except (RuntimeError, ValueError, OSError) as exc:
            raise HarnessError(f"cannot load the BERT checkpoint: {exc}") from None
        self.model = model.to(self.device, self.dtype)
        print(f"   model on {self.device} in {config.data_type}")

    def predict(self, indices) -> np.ndarray:
        torch = self.torch
        inputs = {k: torch.from_numpy(v).to(self.device) for k, v in self.dataset.batch(indices).items()}
        with torch.inference_mode():
            out = self.model(input_ids=inputs["input_ids"], attention_mask=inputs["input_mask"],
                             token_type_ids=inputs["segment_ids"])
            logits = torch.stack([out.start_logits, out.end_logits], dim=-1)
        return logits.to("cpu", torch.float32).numpy()
