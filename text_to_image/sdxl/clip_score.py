"""CLIP score as the reference computes it: 100 x cosine of the image and caption features.

Images go through open_clip's validation transform for OpenAI models (PIL bicubic resize of the
shorter side to the model's size, centre crop with torchvision's rounding, [0, 1] tensor, OpenAI
mean/std); captions through the CLIP tokenizer. Features are cast to float32 and L2-normalised;
the score is not clamped at 0 (unlike torchmetrics' CLIPScore).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

OPENAI_MEAN = np.array((0.48145466, 0.4578275, 0.40821073), dtype=np.float32)
OPENAI_STD = np.array((0.26862954, 0.26130258, 0.27577711), dtype=np.float32)


def preprocess(image: Image.Image, size: int) -> np.ndarray:
    """float32 CHW input of the CLIP image tower for one PIL image."""
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_short, new_long = size, int(size * long / short)  # torchvision's Resize(int) arithmetic
    new_size = (new_short, new_long) if width <= height else (new_long, new_short)
    if new_size != image.size:
        image = image.resize(new_size, Image.BICUBIC)
    width, height = image.size
    top, left = int(round((height - size) / 2.0)), int(round((width - size) / 2.0))
    image = image.crop((left, top, left + size, top + size)).convert("RGB")
    pixels = np.asarray(image, dtype=np.float32) / np.float32(255)
    return ((pixels - OPENAI_MEAN) / OPENAI_STD).transpose(2, 0, 1)


class ClipScorer:
    """``scores(images, captions)`` -> one 100 x cosine per (image, caption) pair.

    Pairs are encoded one at a time, as upstream does: batched encoding moves the features by a
    few float32 ulps, and so the printed score in its last digits.
    """

    def __init__(self, model, tokenizer, device="cpu"):
        self.model, self.tokenizer, self.device = model, tokenizer, device

    def score(self, image: Image.Image, caption: str) -> float:
        import torch

        pixels = torch.from_numpy(preprocess(image, self.model.cfg.image_size)[None]).to(self.device)
        tokens = torch.from_numpy(self.tokenizer([caption], self.model.cfg.context_length)).to(self.device)
        with torch.no_grad():
            image_features = self.model.encode_image(pixels).float()
            text_features = self.model.encode_text(tokens).float()
        image_features = image_features / image_features.norm(dim=-1, keepdim=True)
        text_features = text_features / text_features.norm(dim=-1, keepdim=True)
        return 100 * (image_features @ text_features.T).item()  # float32 cosine, x100 as a Python float

    def scores(self, images: list[Image.Image], captions: list[str]) -> list[float]:
        return [self.score(image, caption) for image, caption in zip(images, captions)]
