"""The reference PyTorch backend: greedy RNN-T decoding, one utterance at a time as upstream
(batch 1, so no padding ever reaches the LSTMs); the response is the label ids as int64."""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype


class ReferenceBackend(Backend):
    def __init__(self, dataset, run):
        import pickle

        import torch

        from .model import load

        super().__init__(dataset, run)
        config, weights = run.config, run.artifact_path("weights")
        self.torch = torch
        self.device = resolve_device(config.device)
        self.dtype = torch_dtype(config.data_type)
        try:
            self.model = load(str(weights)).to(self.device, self.dtype)
        except (RuntimeError, ValueError, KeyError, pickle.UnpicklingError) as exc:
            raise HarnessError(f"cannot load RNN-T weights {weights}: {exc}") from None
        print(f"   model on {self.device} in {config.data_type}")

    def predict(self, indices) -> list[np.ndarray]:
        out = []
        for i in indices:
            feats = self.torch.from_numpy(self.dataset.sample(i)).to(self.device, self.dtype)
            out.append(np.asarray(self.model.greedy_decode(feats), dtype=np.int64))
        return out
