"""SDXL fixtures: the scoring stand-ins alone (fast, no diffusers) or the whole tiny pipeline,
hand-made accuracy logs, and the scores computed directly (no LoadGen, no harness runner)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def entry(seq: int, idx: int, image: np.ndarray) -> dict:
    return {"seq_id": seq, "qsl_idx": idx, "data": np.ascontiguousarray(image, dtype=np.uint8).tobytes().hex().upper()}


def write_log(path: Path, entries: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries))
    return path


def scorers(folder: Path):
    from text_to_image.sdxl import scoring

    return scoring.load(folder / "clip_tiny.pt", folder / "tokenizer" / "bpe_tiny_vocab.txt.gz",
                        folder / "inception_tiny.pt", folder / "val2014_tiny.npz")


def expected_scores(folder: Path, images: list[np.ndarray], captions: list[str]) -> tuple[float, float]:
    """FID and CLIP score of the images, computed straight from the stand-in models."""
    import torch
    from PIL import Image

    from text_to_image.sdxl import fid

    s = scorers(folder)
    feats = []
    for image in images:
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div(255)[None]
        with torch.no_grad():
            feats.append(s.inception(x).numpy().astype(np.float64))
    feats = np.concatenate(feats)
    mu, sigma = np.mean(feats, axis=0), np.cov(feats, rowvar=False)
    clip = [100 * float(np.dot(*[v / np.linalg.norm(v) for v in _clip_features(s.clip, Image.fromarray(im), c)]))
            for im, c in zip(images, captions)]
    return fid.frechet_distance(s.mu, s.sigma, mu, sigma), float(np.mean(clip))


def _clip_features(scorer, image, caption):
    import torch

    from text_to_image.sdxl.clip_score import preprocess

    with torch.no_grad():
        img = scorer.model.encode_image(torch.from_numpy(preprocess(image, scorer.model.cfg.image_size)[None]))
        txt = scorer.model.encode_text(torch.from_numpy(scorer.tokenizer([caption])))
    return img[0].double().numpy(), txt[0].double().numpy()
