"""The reference PyTorch backend: greedy RNN-T decoding, one utterance at a time as upstream
(batch 1, so no padding ever reaches the LSTMs); the response is the label ids as int64."""

from __future__ import annotations

import numpy as np

from harness.errors import HarnessError
from harness.torch_device import resolve_device, torch_dtype


class ReferenceBackend:
    def __init__(self, dataset, artifacts, config):
        import pickle

        import torch

        from .model import load

        self.torch = torch
        self.dataset = dataset
        self.device = resolve_device(config.device)
        self.dtype = torch_dtype(config.data_type)
        try:
            self.model = load(str(artifacts["weights"].path)).to(self.device, self.dtype)
        except (RuntimeError, ValueError, KeyError, pickle.UnpicklingError) as exc:
            raise HarnessError(f"cannot load RNN-T weights {artifacts['weights'].path}: {exc}") from None
        print(f"   model on {self.device} in {config.data_type}")

    def predict(self, indices) -> list[np.ndarray]:
        out = []
        for i in indices:
            feats = self.torch.from_numpy(self.dataset.sample(i)).to(self.device, self.dtype)
            out.append(np.asarray(self.model.greedy_decode(feats), dtype=np.int64))
        return out
