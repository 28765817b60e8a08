"""Score an SDXL accuracy log as upstream's accuracy_coco.py does: CLIP score and FID.

The log is streamed (the real one is ~31 GB of hex): each entry is decoded, the first
response per qsl_idx is kept (later repeats are ignored, as upstream), CLIP and Inception see
it in batches, and only features stay in memory. The images of the listed sample ids that
ran are written as PNG, with ``captions.txt``, for a person to look at.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from harness.codecs import iter_accuracy_log
from harness.score import Score

from . import fid

FULL_COUNT = 5000


def accuracy_line(fid_score: float, clip_score: float) -> str:
    """upstream's ``print(f"Accuracy Results: {result_dict}")``, with Python floats so that numpy 2
    does not print ``np.float64(...)``, which the submission checker's regex would not match."""
    return f"Accuracy Results: {({'FID_SCORE': float(fid_score), 'CLIP_SCORE': float(clip_score)})}"


def decode_image(data: str) -> np.ndarray:
    """A logged response (hex of HWC uint8 RGB) as an image; the reference's are 1024x1024."""
    raw = np.frombuffer(bytes.fromhex(data), dtype=np.uint8)
    side = math.isqrt(raw.size // 3)
    if side * side * 3 != raw.size or side == 0:
        raise ValueError(f"a response of {raw.size} bytes is not a square RGB image")
    return raw.reshape(side, side, 3)


class ImageSaver:
    """``<idx>.png`` for the listed ids, and ``captions.txt`` lines ``<idx>  <caption>`` for them."""

    def __init__(self, folder, ids):
        self.folder, self.ids, self.captions = (Path(folder) if folder else None), list(ids), {}

    def offer(self, idx: int, image: np.ndarray, caption: str) -> None:
        if self.folder is None or idx not in self.ids:
            return
        from PIL import Image

        self.folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(self.folder / f"{idx}.png")
        self.captions[idx] = caption

    @property
    def saved(self) -> list[int]:
        return [idx for idx in self.ids if idx in self.captions]  # in the list's order, as upstream writes them

    def finish(self) -> None:
        if self.folder is not None and self.captions:
            text = "".join(f"{idx}  {self.captions[idx]}\n" for idx in self.saved)
            (self.folder / "captions.txt").write_text(text, encoding="utf-8")


def score_log(log_path, captions: list[str], scorers, sample_ids=(), images_dir=None,
              batch_size: int = 16) -> Score:
    from PIL import Image

    features = fid.FeatureCollector(scorers.inception, batch_size, scorers.device)
    saver = ImageSaver(images_dir, sample_ids)
    clip_scores: list[float] = []
    pending: list[tuple[Image.Image, str]] = []
    seen: set[int] = set()
    entries = 0

    def clip_flush():
        if pending:
            clip_scores.extend(scorers.clip.scores([p[0] for p in pending], [p[1] for p in pending]))
            pending.clear()

    for entry in iter_accuracy_log(log_path):
        entries += 1
        idx = int(entry["qsl_idx"])
        if idx in seen:
            continue
        if not 0 <= idx < len(captions):
            raise ValueError(f"the accuracy log has qsl_idx {idx}, but there are {len(captions)} captions")
        seen.add(idx)
        image = decode_image(entry["data"])
        saver.offer(idx, image, captions[idx])
        pending.append((Image.fromarray(image), captions[idx]))
        features.add(image)
        if len(pending) >= batch_size:
            clip_flush()
    clip_flush()
    saver.finish()
    if len(seen) < 2:
        raise ValueError(f"FID needs at least 2 images; the accuracy log has {len(seen)}")
    mu, sigma = fid.statistics(features.features())
    fid_score = fid.frechet_distance(scorers.mu, scorers.sigma, mu, sigma)
    clip_score = float(np.mean(clip_scores))
    notes = []
    if len(seen) < FULL_COUNT:
        notes.append(f"FID over {len(seen)} images (fewer than {FULL_COUNT}) is not comparable with the target: "
                     "it is biased upwards for small sets")
    return Score(values={"FID_SCORE": fid_score, "CLIP_SCORE": clip_score},
                 lines=[accuracy_line(fid_score, clip_score)], scored=len(seen), duplicates=entries - len(seen),
                 details={"images_saved": saver.saved}, notes=notes)


def score_run(log_path, dataset) -> Score:
    """The harness's scorer: the scoring models on the run's device, images into ``<run dir>/images``."""
    from . import scoring

    scorers = scoring.from_artifacts(dataset.artifacts, dataset.scoring_device())
    return score_log(log_path, dataset.captions, scorers, dataset.sample_ids, Path(log_path).parent / "images")
