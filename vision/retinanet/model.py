"""RetinaNet with a ResNeXt-FPN backbone in plain torch, under the reference's module names.

The names (``backbone.body.layer1.0.conv2.weight``, ``backbone.fpn.extra_blocks.p6.weight``,
``head.classification_head.cls_logits.weight``, ...) are those of the upstream model
(mlcommons/training ``retinanet_resnext50_32x4d_fpn``), so its tensors load one to one. The
backbone uses frozen batch norm (a fixed affine transform computed as upstream does). The shape
(blocks per stage, stem width, groups, channels, classes) is read from the tensors, so the same
code builds the 800x800 reference and the demo's small random model.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

from . import detection

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)
IMAGE_SIZE = (800, 800)
REFERENCE_SHAPE = {"blocks": (3, 4, 6, 3), "stem": 64, "groups": 32, "width_per_group": 4,
                   "fpn_channels": 256, "num_classes": 264}


class FrozenBatchNorm2d(nn.Module):
    """Batch norm with fixed statistics, evaluated as ``x * scale + shift`` like torchvision's."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        for name, value in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)):
            self.register_buffer(name, torch.full((channels,), value))

    def forward(self, x):
        scale = self.weight.reshape(1, -1, 1, 1) * (self.running_var.reshape(1, -1, 1, 1) + self.eps).rsqrt()
        shift = self.bias.reshape(1, -1, 1, 1) - self.running_mean.reshape(1, -1, 1, 1) * scale
        return x * scale + shift


class Bottleneck(nn.Module):
    """ResNeXt bottleneck; the stride sits on the grouped 3x3 convolution (v1.5)."""

    def __init__(self, inplanes: int, planes: int, width: int, groups: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = FrozenBatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = FrozenBatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = FrozenBatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False),
                                            FrozenBatchNorm2d(planes * 4))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + identity)


class Body(nn.Module):
    """The ResNeXt trunk up to layer4; returns C3, C4, C5."""

    def __init__(self, blocks, stem: int, groups: int, width_per_group: int):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem, 7, stride=2, padding=3, bias=False)
        self.bn1 = FrozenBatchNorm2d(stem)
        inplanes = stem
        for stage, count in enumerate(blocks):
            planes = stem * 2**stage
            width = planes * width_per_group * groups // 64
            layers = []
            for i in range(count):
                layers.append(Bottleneck(inplanes, planes, width, groups, 2 if (i == 0 and stage > 0) else 1))
                inplanes = planes * 4
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, stride=2, padding=1)
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        return [c3, c4, self.layer4(c4)]


class ExtraBlocks(nn.Module):
    """P6 from P5 (stride 2), P7 from relu(P6)."""

    def __init__(self, channels: int):
        super().__init__()
        self.p6 = nn.Conv2d(channels, channels, 3, 2, 1)
        self.p7 = nn.Conv2d(channels, channels, 3, 2, 1)


class FPN(nn.Module):
    def __init__(self, in_channels: list[int], channels: int):
        super().__init__()
        self.inner_blocks = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in in_channels)
        self.layer_blocks = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in in_channels)
        self.extra_blocks = ExtraBlocks(channels)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        last = self.inner_blocks[-1](features[-1])
        results = [self.layer_blocks[-1](last)]
        for idx in range(len(features) - 2, -1, -1):
            lateral = self.inner_blocks[idx](features[idx])
            last = lateral + F.interpolate(last, size=lateral.shape[-2:], mode="nearest")
            results.insert(0, self.layer_blocks[idx](last))
        p6 = self.extra_blocks.p6(results[-1])
        return [*results, p6, self.extra_blocks.p7(F.relu(p6))]


class Backbone(nn.Module):
    def __init__(self, shape: dict):
        super().__init__()
        self.body = Body(shape["blocks"], shape["stem"], shape["groups"], shape["width_per_group"])
        self.fpn = FPN([shape["stem"] * 2**s * 4 for s in (1, 2, 3)], shape["fpn_channels"])

    def forward(self, x):
        return self.fpn(self.body(x))


class HeadBranch(nn.Module):
    """Four 3x3 conv + ReLU, then a 3x3 conv to A*K outputs, reshaped to (N, H*W*A, K)."""

    def __init__(self, channels: int, outputs_per_anchor: int, last: str):
        super().__init__()
        layers = []
        for _ in range(4):
            layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()]
        self.conv = nn.Sequential(*layers)
        self.last = last
        self.per_anchor = outputs_per_anchor
        setattr(self, last, nn.Conv2d(channels, len(detection.ASPECT_RATIOS) * 3 * outputs_per_anchor, 3, padding=1))

    def forward(self, x):
        y = getattr(self, self.last)(self.conv(x))
        n, _, h, w = y.shape
        return y.view(n, -1, self.per_anchor, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, self.per_anchor)


class Head(nn.Module):
    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.classification_head = HeadBranch(channels, num_classes, "cls_logits")
        self.regression_head = HeadBranch(channels, 4, "bbox_reg")


class RetinaNet(nn.Module):
    """Input: float32 RGB in [0, 1], (N, 3, H, W). Output: one dict per image with ``boxes``
    (x1, y1, x2, y2 in input pixels), ``scores`` (descending) and ``labels`` (0-based)."""

    def __init__(self, shape: dict = REFERENCE_SHAPE, image_size=IMAGE_SIZE):
        super().__init__()
        self.shape = dict(shape)
        self.image_size = tuple(image_size)
        self.backbone = Backbone(shape)
        self.head = Head(shape["fpn_channels"], shape["num_classes"])
        self.score_thresh, self.nms_thresh, self.detections_per_img, self.topk_candidates = 0.05, 0.5, 300, 1000
        self.cells = [detection.cell_anchors(s) for s in detection.anchor_sizes()]
        self._anchors: dict = {}

    def anchors(self, grids: tuple) -> list[torch.Tensor]:
        if grids not in self._anchors:  # the same for every 800x800 batch: compute once
            self._anchors[grids] = [detection.grid_anchors(self.image_size, g, c) for g, c in zip(grids, self.cells)]
        return self._anchors[grids]

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        mean = torch.as_tensor(IMAGE_MEAN, dtype=images.dtype, device=images.device)
        std = torch.as_tensor(IMAGE_STD, dtype=images.dtype, device=images.device)
        images = (images - mean[:, None, None]) / std[:, None, None]
        if tuple(images.shape[-2:]) != self.image_size:
            images = F.interpolate(images, size=self.image_size, mode="bilinear", align_corners=False)
        return self.backbone(images)

    def forward(self, images: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        features = self.features(images)
        logits = [self.head.classification_head(f).float() for f in features]
        deltas = [self.head.regression_head(f).float() for f in features]
        anchors = self.anchors(tuple(tuple(f.shape[-2:]) for f in features))
        original = tuple(images.shape[-2:])
        out = []
        for i in range(images.shape[0]):
            found = detection.detect_image([x[i] for x in logits], [x[i] for x in deltas], anchors,
                                           self.image_size, self.score_thresh, self.topk_candidates,
                                           self.nms_thresh, self.detections_per_img)
            if original != self.image_size:  # back to the input's size, as upstream's transform does
                ratio_h, ratio_w = (torch.tensor(o, dtype=torch.float32) / torch.tensor(s, dtype=torch.float32)
                                    for o, s in zip(original, self.image_size))
                found["boxes"] = found["boxes"] * torch.stack([ratio_w, ratio_h, ratio_w, ratio_h])
            out.append(found)
        return out


def shape_of(state: dict) -> dict:
    """The architecture a state dict implies (see REFERENCE_SHAPE for the keys)."""
    blocks = []
    for stage in range(1, 5):
        found = {int(m.group(1)) for k in state if (m := re.match(rf"backbone\.body\.layer{stage}\.(\d+)\.", k))}
        if not found:
            raise ValueError(f"not a RetinaNet ResNeXt-FPN state dict: no backbone.body.layer{stage} tensors")
        blocks.append(max(found) + 1)
    stem = int(state["backbone.body.conv1.weight"].shape[0])
    conv2 = state["backbone.body.layer1.0.conv2.weight"]
    groups = int(conv2.shape[0]) // int(conv2.shape[1])
    anchors = len(detection.ASPECT_RATIOS) * 3
    return {"blocks": tuple(blocks), "stem": stem, "groups": groups,
            "width_per_group": int(conv2.shape[0]) * 64 // (stem * groups),
            "fpn_channels": int(state["backbone.fpn.inner_blocks.0.weight"].shape[0]),
            "num_classes": int(state["head.classification_head.cls_logits.weight"].shape[0]) // anchors}


ANCHOR_TENSOR = "head.classification_head.cls_logits.weight"
SETTINGS = ("score_thresh", "nms_thresh", "detections_per_img", "topk_candidates")


def from_weights(tensors: dict, scalars: dict | None = None) -> RetinaNet:
    """A model with exactly these tensors (names relative to the model). Extra tensors (the
    archive's cached anchors) are ignored; a missing one is an error. Thresholds and batch norm
    eps found among ``scalars`` (a TorchScript archive keeps them) replace the defaults."""

    tensors = under_prefix(tensors, ANCHOR_TENSOR)
    model = RetinaNet(shape_of(tensors))
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors]
    if missing:
        raise ValueError(f"{len(missing)} of {len(expected)} model tensors are not in the file "
                         f"(first: {missing[0]}); is it the RetinaNet ResNeXt50-FPN checkpoint?")
    wrong = [k for k in expected if tensors[k].shape != expected[k].shape]
    if wrong:
        raise ValueError(f"tensor {wrong[0]} has shape {tuple(tensors[wrong[0]].shape)}, expected "
                         f"{tuple(expected[wrong[0]].shape)}")
    model.load_state_dict({k: tensors[k].float() for k in expected}, strict=True)
    if scalars:
        scalars = under_prefix(scalars, "head.training") if any(k.endswith("head.training") for k in scalars) else {}
        for key in SETTINGS:
            if isinstance(scalars.get(key), (int, float)) and not isinstance(scalars[key], bool):
                setattr(model, key, type(getattr(model, key))(scalars[key]))
        for name, module in model.named_modules():
            if isinstance(module, FrozenBatchNorm2d) and isinstance(scalars.get(f"{name}.eps"), float):
                module.eps = scalars[f"{name}.eps"]
    return model.eval()


def load(path) -> RetinaNet:
    """The model in a TorchScript archive or a state-dict file, read without executing code."""
    from harness.torchscript import read_weights

    return from_weights(*read_weights(path))


def under_prefix(values: dict, anchor: str) -> dict:
    """``values`` re-keyed relative to the module that owns ``anchor`` (a wrapper module around
    the model in the file adds a prefix such as ``model.``); other entries are dropped."""
    prefixes = [name[: -len(anchor)] for name in values if name.endswith(anchor)]
    if not prefixes:
        raise ValueError(f"no tensor named {anchor!r} (with or without a prefix) in the file; "
                         "is it the RetinaNet ResNeXt50-FPN checkpoint?")
    prefix = min(prefixes, key=len)
    return {name[len(prefix):]: value for name, value in values.items() if name.startswith(prefix)}
