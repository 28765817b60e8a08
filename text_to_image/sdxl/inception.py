"""The FID Inception-v3 of pytorch-fid (TensorFlow's 2015-12-05 graph), in plain PyTorch.

pytorch-fid builds it on torchvision, which does not load beside the project's torch, so the
network is written here with torchvision's module names (``Conv2d_1a_3x3.conv.weight`` ...),
which are the names in ``pt_inception-2015-12-05-6726825d.pth``. The FID-specific changes are
kept: average pools that ignore padding in the A, C and first E blocks, a max pool in the last E
block. Input: images in [0, 1], resized bilinearly to 299x299 (align_corners=False, no
antialias), scaled to [-1, 1]; output: the 2048 pooled features (block 3).

``width`` divides every channel count, so a small stand-in with the same structure can be built
for tests; the real network has width 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class InceptionConfig:
    width: int = 1  # channel divisor (1 = the real network)
    input_size: int = 299

    def c(self, channels: int) -> int:
        return max(1, channels // self.width)

    @property
    def features(self) -> int:
        return self.c(320) + 2 * self.c(768) + self.c(192)  # the concatenated branches of Mixed_7c


class BasicConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg(x):  # TensorFlow's average pool: padded zeros are not counted
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, cfg: InceptionConfig, cin: int, pool: int):
        super().__init__()
        c = cfg.c
        self.branch1x1 = BasicConv2d(cin, c(64), 1)
        self.branch5x5_1 = BasicConv2d(cin, c(48), 1)
        self.branch5x5_2 = BasicConv2d(c(48), c(64), 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, c(64), 1)
        self.branch3x3dbl_2 = BasicConv2d(c(64), c(96), 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(c(96), c(96), 3, padding=1)
        self.branch_pool = BasicConv2d(cin, c(pool), 1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(_avg(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, cfg: InceptionConfig, cin: int):
        super().__init__()
        c = cfg.c
        self.branch3x3 = BasicConv2d(cin, c(384), 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, c(64), 1)
        self.branch3x3dbl_2 = BasicConv2d(c(64), c(96), 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(c(96), c(96), 3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cfg: InceptionConfig, cin: int, c7: int):
        super().__init__()
        c = cfg.c
        self.branch1x1 = BasicConv2d(cin, c(192), 1)
        self.branch7x7_1 = BasicConv2d(cin, c(c7), 1)
        self.branch7x7_2 = BasicConv2d(c(c7), c(c7), (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c(c7), c(192), (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c(c7), 1)
        self.branch7x7dbl_2 = BasicConv2d(c(c7), c(c7), (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c(c7), c(c7), (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c(c7), c(c7), (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c(c7), c(192), (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, c(192), 1)

    def forward(self, x):
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                      self.branch7x7dbl_4, self.branch7x7dbl_5):
            double = layer(double)
        return torch.cat([self.branch1x1(x), seven, double, self.branch_pool(_avg(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, cfg: InceptionConfig, cin: int):
        super().__init__()
        c = cfg.c
        self.branch3x3_1 = BasicConv2d(cin, c(192), 1)
        self.branch3x3_2 = BasicConv2d(c(192), c(320), 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, c(192), 1)
        self.branch7x7x3_2 = BasicConv2d(c(192), c(192), (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(c(192), c(192), (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(c(192), c(192), 3, stride=2)

    def forward(self, x):
        seven = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), seven, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):
    def __init__(self, cfg: InceptionConfig, cin: int, max_pool: bool):
        super().__init__()
        c = cfg.c
        self.max_pool = max_pool  # the FID graph's last block max-pools (pytorch-fid's FIDInceptionE_2)
        self.branch1x1 = BasicConv2d(cin, c(320), 1)
        self.branch3x3_1 = BasicConv2d(cin, c(384), 1)
        self.branch3x3_2a = BasicConv2d(c(384), c(384), (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(c(384), c(384), (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, c(448), 1)
        self.branch3x3dbl_2 = BasicConv2d(c(448), c(384), 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(c(384), c(384), (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(c(384), c(384), (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, c(192), 1)

    def forward(self, x):
        three = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _avg(x)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(three), self.branch3x3_2b(three),
                          self.branch3x3dbl_3a(double), self.branch3x3dbl_3b(double), self.branch_pool(pooled)], 1)


class FidInception(nn.Module):
    def __init__(self, cfg: InceptionConfig = InceptionConfig()):
        super().__init__()
        self.cfg = cfg
        c = cfg.c
        self.Conv2d_1a_3x3 = BasicConv2d(3, c(32), 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(c(32), c(32), 3)
        self.Conv2d_2b_3x3 = BasicConv2d(c(32), c(64), 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(c(64), c(80), 1)
        self.Conv2d_4a_3x3 = BasicConv2d(c(80), c(192), 3)
        a_out = lambda pool: c(64) + c(64) + c(96) + c(pool)  # noqa: E731
        self.Mixed_5b = InceptionA(cfg, c(192), 32)
        self.Mixed_5c = InceptionA(cfg, a_out(32), 64)
        self.Mixed_5d = InceptionA(cfg, a_out(64), 64)
        self.Mixed_6a = InceptionB(cfg, a_out(64))
        c6 = c(384) + c(96) + a_out(64)
        self.Mixed_6b = InceptionC(cfg, c6, 128)
        c6 = 4 * c(192)
        self.Mixed_6c = InceptionC(cfg, c6, 160)
        self.Mixed_6d = InceptionC(cfg, c6, 160)
        self.Mixed_6e = InceptionC(cfg, c6, 192)
        self.Mixed_7a = InceptionD(cfg, c6)
        c7 = c(320) + c(192) + c6
        self.Mixed_7b = InceptionE(cfg, c7, max_pool=False)
        self.Mixed_7c = InceptionE(cfg, cfg.features, max_pool=True)
        self.fc = nn.Linear(cfg.features, 1008)  # in the weight file; not used for FID

    def forward(self, images):
        """(batch, 3, H, W) in [0, 1] -> (batch, features) pooled activations."""
        size = self.cfg.input_size
        x = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                     "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"):
            x = getattr(self, name)(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def save(model: FidInception, path) -> None:
    """A stand-in's weights with its config (the real file is a bare state dict)."""
    torch.save({"state_dict": model.state_dict(), "inception_config": asdict(model.cfg)}, path)


def load(path, device="cpu") -> FidInception:
    """The network of a pytorch-fid weight file (or a stand-in saved by :func:`save`), eval mode."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    cfg = InceptionConfig()
    if "inception_config" in state:
        cfg, state = InceptionConfig(**state["inception_config"]), state["state_dict"]
    model = FidInception(cfg)
    model.load_state_dict(state, strict=True)
    return model.eval().to(device)
