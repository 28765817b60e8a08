"""The reference RNN-T in plain PyTorch, with the reference's module names so its state dict loads.

Encoder: LSTM (240 -> 1024, 2 layers), stack pairs of frames in time (2048), LSTM (-> 1024, 3
layers). Prediction network: embedding of the 28 labels, LSTM (320, 2 layers); the start
symbol is a zero vector. Joint: concat(encoder frame, prediction output) -> Linear -> ReLU ->
Dropout -> Linear to 29 classes (28 labels and the blank). All LSTMs are time-major with zero
initial states. Sizes are parameters so the tests can build a tiny one with the same names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .text import BLANK, LABELS

MAX_SYMBOLS_PER_STEP = 30  # the reference greedy decoder's limit of labels per encoder frame


@dataclass(frozen=True)
class RNNTConfig:
    """The reference sizes (rnnt.toml); a tiny fixture changes the hidden sizes only."""

    in_features: int = 240
    encoder_hidden: int = 1024
    pre_layers: int = 2
    post_layers: int = 3
    stack_factor: int = 2
    pred_hidden: int = 320
    pred_layers: int = 2
    joint_hidden: int = 512
    dropout: float = 0.32

    def as_dict(self) -> dict:
        return asdict(self)


class _LSTM(nn.Module):
    """Holds ``lstm`` so the keys read ``<name>.lstm.weight_ih_l0`` as in the reference."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, dropout: float):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0)

    def forward(self, x, state=None):
        return self.lstm(x, state)


class Encoder(nn.Module):
    def __init__(self, cfg: RNNTConfig):
        super().__init__()
        self.factor = cfg.stack_factor
        self.pre_rnn = _LSTM(cfg.in_features, cfg.encoder_hidden, cfg.pre_layers, cfg.dropout)
        self.post_rnn = _LSTM(cfg.encoder_hidden * cfg.stack_factor, cfg.encoder_hidden, cfg.post_layers,
                              cfg.dropout)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(T, B, 240) -> (ceil(T / 2), B, hidden)."""
        x, _ = self.pre_rnn(features)
        steps, batch, width = x.shape
        pad = (-steps) % self.factor  # zero frames up to a multiple of the factor
        if pad:
            x = torch.cat([x, x.new_zeros(pad, batch, width)])
        x = x.transpose(0, 1).reshape(batch, -1, width * self.factor).transpose(0, 1)
        x, _ = self.post_rnn(x)
        return x


class Prediction(nn.Module):
    def __init__(self, cfg: RNNTConfig):
        super().__init__()
        self.hidden = cfg.pred_hidden
        self.embed = nn.Embedding(len(LABELS), cfg.pred_hidden)
        self.dec_rnn = _LSTM(cfg.pred_hidden, cfg.pred_hidden, cfg.pred_layers, cfg.dropout)

    def step(self, label: int | None, state):
        """One label (None = start symbol, a zero vector) -> (output (1, 1, H), new state)."""
        if label is None:
            x = torch.zeros(1, 1, self.hidden, dtype=self.embed.weight.dtype, device=self.embed.weight.device)
        else:
            x = self.embed(torch.tensor([[label]], device=self.embed.weight.device))
        return self.dec_rnn(x, state)


class Joint(nn.Module):
    def __init__(self, cfg: RNNTConfig):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(cfg.encoder_hidden + cfg.pred_hidden, cfg.joint_hidden), nn.ReLU(),
                                 nn.Dropout(cfg.dropout), nn.Linear(cfg.joint_hidden, len(LABELS) + 1))

    def forward(self, frame: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([frame, pred], dim=-1))


class RNNT(nn.Module):
    def __init__(self, cfg: RNNTConfig = RNNTConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.prediction = Prediction(cfg)
        self.joint = Joint(cfg)

    @torch.inference_mode()
    def greedy_decode(self, features: torch.Tensor) -> list[int]:
        """Label ids of one utterance, (T, 240) features, as the reference greedy decoder emits them:
        at most 30 labels per encoder frame; the prediction state advances only on a label."""
        encoded = self.encoder(features.unsqueeze(1))[:, 0]
        labels: list[int] = []
        state = None
        pred, new_state = self.prediction.step(None, None)
        for frame in encoded:
            for _ in range(MAX_SYMBOLS_PER_STEP):
                k = int(self.joint(frame, pred[0, 0]).argmax())
                if k == BLANK:
                    break
                labels.append(k)
                state = new_state
                pred, new_state = self.prediction.step(k, state)
        return labels


def reference_state_dict(checkpoint: dict) -> dict:
    """The reference checkpoint's ``state_dict`` with its names mapped to this module's:
    ``joint_net`` becomes ``joint.net`` and the stored featurizer buffers are dropped (the
    features are rebuilt from their settings, as the reference does)."""
    state = checkpoint.get("state_dict", checkpoint)
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.").replace("joint_net", "joint.net")
        if key.startswith("audio_preprocessor."):
            continue
        out[key] = value
    return out


def load(path: str, cfg: RNNTConfig | None = None) -> RNNT:
    """Build the model and load weights without executing code from the file."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if cfg is None:
        cfg = RNNTConfig(**checkpoint["rnnt_config"]) if "rnnt_config" in checkpoint else RNNTConfig()
    model = RNNT(cfg)
    model.load_state_dict(reference_state_dict(checkpoint), strict=True)
    return model.eval()
