"""From head outputs to detections, with the reference's numerics (anchors, decoding, NMS).

Everything here mirrors what the upstream RetinaNet (mlcommons/training, a copy of torchvision's
detection code) computes at inference, operation by operation in float32, so the detections match
the reference model's up to the convolution arithmetic:

- anchors: per level sizes ``(x, int(x*2^(1/3)), int(x*2^(2/3)))`` for x in 32..512 times aspect
  ratios (0.5, 1, 2), ratio-major, rounded; a level's stride is ``image_size // feature_size`` (an
  integer: 61 and 114 for P6 and P7 of an 800x800 input, not 64 and 128);
- per level: sigmoid, keep scores > 0.05, top 1000, decode with weights (1, 1, 1, 1) and
  ``log(1000/16)`` clamping, clip to the image;
- class-wise NMS at IoU 0.5 (the "vanilla" per-class loop above 1000 candidates, the coordinate
  offset trick at or below, as upstream's ``batched_nms`` chooses), then the best 300.
"""

from __future__ import annotations

import math

import numpy as np
import torch

ANCHOR_BASES = (32, 64, 128, 256, 512)
ASPECT_RATIOS = (0.5, 1.0, 2.0)
BOX_CLIP = math.log(1000.0 / 16)
VANILLA_NMS_ABOVE = 4000
NMS_ROWS = 512  # upstream switches on boxes.numel(), i.e. more than 1000 boxes


def anchor_sizes() -> tuple[tuple[int, ...], ...]:
    return tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in ANCHOR_BASES)


def cell_anchors(sizes, ratios=ASPECT_RATIOS) -> torch.Tensor:
    """The (A, 4) anchors centred on 0 of one level, in the reference's order and rounding."""
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    ratios = torch.as_tensor(ratios, dtype=torch.float32)
    h_ratios = torch.sqrt(ratios)
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).view(-1)
    hs = (h_ratios[:, None] * scales[None, :]).view(-1)
    return (torch.stack([-ws, -hs, ws, hs], dim=1) / 2).round()


def grid_anchors(image_size: tuple[int, int], grid: tuple[int, int], cell: torch.Tensor) -> torch.Tensor:
    """All anchors of one level, (H*W*A, 4), location-major like the head's output."""
    stride_h, stride_w = image_size[0] // grid[0], image_size[1] // grid[1]
    shifts_x = torch.arange(0, grid[1], dtype=torch.float32) * stride_w
    shifts_y = torch.arange(0, grid[0], dtype=torch.float32) * stride_h
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
    shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
    shifts = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
    return (shifts.view(-1, 1, 4) + cell.view(1, -1, 4)).reshape(-1, 4)


def decode(deltas: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Box regression (dx, dy, dw, dh) applied to anchors -> (x1, y1, x2, y2); weights are 1."""
    anchors = anchors.to(deltas.dtype)
    widths = anchors[:, 2] - anchors[:, 0]
    heights = anchors[:, 3] - anchors[:, 1]
    ctr_x = anchors[:, 0] + 0.5 * widths
    ctr_y = anchors[:, 1] + 0.5 * heights
    dx, dy = deltas[:, 0::4] / 1.0, deltas[:, 1::4] / 1.0
    dw = torch.clamp(deltas[:, 2::4] / 1.0, max=BOX_CLIP)
    dh = torch.clamp(deltas[:, 3::4] / 1.0, max=BOX_CLIP)
    pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
    pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
    half_w = torch.tensor(0.5, dtype=deltas.dtype, device=deltas.device) * (torch.exp(dw) * widths[:, None])
    half_h = torch.tensor(0.5, dtype=deltas.dtype, device=deltas.device) * (torch.exp(dh) * heights[:, None])
    boxes = torch.stack((pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w, pred_ctr_y + half_h), dim=2)
    return boxes.flatten(1)


def clip(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    xs = boxes[..., 0::2].clamp(min=0, max=width)
    ys = boxes[..., 1::2].clamp(min=0, max=height)
    return torch.stack((xs, ys), dim=boxes.dim()).reshape(boxes.shape)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices kept by greedy NMS, best score first, as torchvision.ops.nms defines it.

    Boxes are visited by descending score (ties keep input order); a box is dropped when its IoU
    with an already kept box is strictly greater than the threshold. IoU is computed in the
    boxes' dtype as ``inter / (area_i + area_j - inter)``, the kernel's formula.
    """
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64)
    boxes, scores = boxes.cpu(), scores.cpu()
    order = scores.sort(descending=True, stable=True)[1]
    b = boxes[order]
    x1, y1, x2, y2 = b.unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    zero = torch.zeros((), dtype=b.dtype)
    rows = []
    for start in range(0, len(order), NMS_ROWS):  # row blocks bound the memory of the IoU matrix
        r = slice(start, start + NMS_ROWS)
        w = torch.maximum(zero, torch.minimum(x2[r, None], x2[None, :]) - torch.maximum(x1[r, None], x1[None, :]))
        h = torch.maximum(zero, torch.minimum(y2[r, None], y2[None, :]) - torch.maximum(y1[r, None], y1[None, :]))
        inter = w * h
        rows.append((inter / (areas[r, None] + areas[None, :] - inter) > iou_threshold).numpy())
    overlaps = np.concatenate(rows)
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if not suppressed[i]:
            keep.append(i)
            suppressed[i + 1:] |= overlaps[i, i + 1:]
    return order[torch.as_tensor(keep, dtype=torch.int64)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float):
    """NMS within each class; the two strategies round differently, so pick as upstream does."""
    boxes, scores, labels = boxes.cpu(), scores.cpu(), labels.cpu()
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64)
    if boxes.numel() > VANILLA_NMS_ABOVE:
        keep_mask = torch.zeros_like(scores, dtype=torch.bool)
        for label in torch.unique(labels):
            members = torch.where(labels == label)[0]
            keep_mask[members[nms(boxes[members], scores[members], iou_threshold)]] = True
        kept = torch.where(keep_mask)[0]
        return kept[scores[kept].sort(descending=True, stable=True)[1]]
    offsets = labels.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def detect_image(logits: list[torch.Tensor], deltas: list[torch.Tensor], anchors: list[torch.Tensor],
                 image_size: tuple[int, int], score_thresh: float = 0.05, topk: int = 1000,
                 nms_thresh: float = 0.5, max_detections: int = 300) -> dict[str, torch.Tensor]:
    """One image: per-level logits (HWA, K) and deltas (HWA, 4) -> boxes, scores, labels."""
    all_boxes, all_scores, all_labels = [], [], []
    for level_logits, level_deltas, level_anchors in zip(logits, deltas, anchors):
        num_classes = level_logits.shape[-1]
        scores = torch.sigmoid(level_logits).flatten()
        keep = scores > score_thresh
        scores = scores[keep]
        candidates = torch.where(keep)[0]
        scores, order = scores.topk(min(topk, candidates.size(0)))
        candidates = candidates[order]
        anchor_idx = torch.div(candidates, num_classes, rounding_mode="floor")
        boxes = decode(level_deltas[anchor_idx], level_anchors.to(level_deltas.device)[anchor_idx])
        all_boxes.append(clip(boxes, *image_size))
        all_scores.append(scores)
        all_labels.append(candidates % num_classes)
    boxes, scores, labels = (torch.cat(t).cpu() for t in (all_boxes, all_scores, all_labels))
    keep = batched_nms(boxes, scores, labels, nms_thresh)[:max_detections]
    return {"boxes": boxes[keep], "scores": scores[keep], "labels": labels[keep]}
