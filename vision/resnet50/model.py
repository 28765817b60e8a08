"""ResNet-50 v1.5 with torchvision's module names, so upstream's state dict loads as is.

v1.5 puts the stride of a downsampling bottleneck on its 3x3 convolution. The depth (blocks per
stage), width and class count are read from the state dict, so the same code loads the reference
weights and the small random model of the demo.
"""

from __future__ import annotations

import re

import torch
from torch import nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + identity)


class ResNet(nn.Module):
    def __init__(self, blocks=(3, 4, 6, 3), width: int = 64, num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = width
        for stage, count in enumerate(blocks):
            planes = width * 2**stage
            layers = []
            for i in range(count):
                layers.append(Bottleneck(inplanes, planes, stride=2 if (i == 0 and stage > 0) else 1))
                inplanes = planes * Bottleneck.expansion
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def shape_of(state: dict) -> dict:
    """Blocks per stage, width and class count implied by a ResNet state dict."""
    blocks = []
    for stage in range(1, 5):
        indices = {int(m.group(1)) for k in state if (m := re.match(rf"layer{stage}\.(\d+)\.", k))}
        if not indices:
            raise ValueError(f"not a ResNet state dict: no layer{stage} weights")
        blocks.append(max(indices) + 1)
    return {"blocks": tuple(blocks), "width": int(state["conv1.weight"].shape[0]),
            "num_classes": int(state["fc.weight"].shape[0])}


def load(path: str) -> ResNet:
    """Load weights without executing code (weights_only) into a freshly built module."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    model = ResNet(**shape_of(state))
    model.load_state_dict(state, strict=True)
    return model.eval()
