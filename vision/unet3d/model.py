"""The 3D U-Net of the MLPerf KiTS19 reference, with the reference's module names.

Layout (MLPerf training ``image_segmentation/pytorch``): every block is Conv3d (3x3x3, no bias) ->
InstanceNorm3d (affine) -> ReLU. An input block, one stride-2 downsampling block per filter step,
a bottleneck at the deepest width, then transposed-convolution upsampling blocks that concatenate
the matching skip, and a 1x1x1 convolution to the classes. The reference uses filters
(32, 64, 128, 256, 320); the filters, input channels and classes are read from the state dict, so
the same code loads the reference checkpoint and the demo's small random model.
"""

from __future__ import annotations

import re

import torch
from torch import nn

REFERENCE_FILTERS = (32, 64, 128, 256, 320)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.InstanceNorm3d(cout, affine=True), nn.ReLU())


class InputBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1, self.conv2 = _block(cin, cout), _block(cout, cout)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class DownsampleBlock(InputBlock):
    def __init__(self, cin: int, cout: int):
        nn.Module.__init__(self)
        self.conv1, self.conv2 = _block(cin, cout, stride=2), _block(cout, cout)


class UpsampleBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.upsample_conv = nn.Sequential(nn.ConvTranspose3d(cin, cout, 2, stride=2, padding=0, bias=True))
        self.conv1, self.conv2 = _block(2 * cout, cout), _block(cout, cout)

    def forward(self, x, skip):
        x = torch.cat((self.upsample_conv(x), skip), dim=1)
        return self.conv2(self.conv1(x))


class OutputLayer(nn.Module):
    def __init__(self, cin: int, n_class: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv3d(cin, n_class, 1, padding=0, bias=True))

    def forward(self, x):
        return self.conv(x)


class Unet3D(nn.Module):
    def __init__(self, in_channels: int = 1, n_class: int = 3, filters=REFERENCE_FILTERS):
        super().__init__()
        filters = list(filters)
        self.input_block = InputBlock(in_channels, filters[0])
        self.downsample = nn.ModuleList(DownsampleBlock(i, o) for i, o in zip(filters[:-1], filters[1:]))
        self.bottleneck = DownsampleBlock(filters[-1], filters[-1])
        ups = [(filters[-1], filters[-1]), *zip(reversed(filters[1:]), reversed(filters[:-1]))]
        self.upsample = nn.ModuleList(UpsampleBlock(i, o) for i, o in ups)
        self.output = OutputLayer(filters[0], n_class)

    def forward(self, x):
        x = self.input_block(x)
        skips = [x]
        for down in self.downsample:
            x = down(x)
            skips.append(x)
        x = self.bottleneck(x)
        for up, skip in zip(self.upsample, reversed(skips)):
            x = up(x, skip)
        return self.output(x)


def shape_of(state: dict) -> dict:
    """Input channels, classes and filters implied by a Unet3D state dict."""
    try:
        first = state["input_block.conv1.0.weight"]
        steps = sorted({int(m.group(1)) for k in state if (m := re.match(r"downsample\.(\d+)\.conv1\.0\.weight$", k))})
        filters = [int(first.shape[0])] + [int(state[f"downsample.{i}.conv1.0.weight"].shape[0]) for i in steps]
        return {"in_channels": int(first.shape[1]), "n_class": int(state["output.conv.0.weight"].shape[0]),
                "filters": tuple(filters)}
    except KeyError as exc:
        raise ValueError(f"not a 3D U-Net state dict: no {exc.args[0]}") from None


def _data_only_globals() -> list:
    """numpy scalars and dtypes: the reference checkpoint stores its validation scores as numpy
    float32, pickled under numpy 1's module name. Rebuilding them runs no code."""
    import numpy as np
    from numpy._core import multiarray

    dtypes = [type(np.dtype(c)) for c in "?bBhHiIlLqQefdg"]
    return [(multiarray.scalar, "numpy.core.multiarray.scalar"), multiarray.scalar, np.dtype, *dtypes]


def read_state_dict(path: str) -> dict:
    """The model weights of a reference training checkpoint (``best_model_state_dict``) or of a
    bare state dict, loaded with ``weights_only=True``."""
    with torch.serialization.safe_globals(_data_only_globals()):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} holds a {type(checkpoint).__name__}, not a checkpoint dict")
    state = checkpoint.get("best_model_state_dict", checkpoint)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: best_model_state_dict is a {type(state).__name__}, not a state dict")
    return state


def load(path: str) -> Unet3D:
    state = read_state_dict(path)
    model = Unet3D(**shape_of(state))
    model.load_state_dict(state, strict=True)
    return model.eval()
