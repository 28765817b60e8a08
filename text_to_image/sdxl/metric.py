"""Score an SDXL accuracy log as upstream's accuracy_coco.py does: CLIP score and FID.

The log is streamed (the real one is ~31 GB of hex) through ``codecs.Responses``: the first
response per qsl_idx arrives decoded as uint8 values (later repeats are ignored, as upstream),
CLIP and Inception see the images in batches, and only features stay in memory. The images of
the listed sample ids that ran are written as PNG, with ``captions.txt``, for a person to look at.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from harness import progress
from harness.score import Score

from . import fid

FULL_COUNT = 5000


def accuracy_line(fid_score: float, clip_score: float) -> str:
    """upstream's ``print(f"Accuracy Results: {result_dict}")``, with Python floats so that numpy 2
    does not print ``np.float64(...)``, which the submission checker's regex would not match."""
    return f"Accuracy Results: {({'FID_SCORE': float(fid_score), 'CLIP_SCORE': float(clip_score)})}"


def as_image(values: np.ndarray) -> np.ndarray:
    """A decoded response (the uint8 values of an HWC RGB image) as an image; the reference's are 1024x1024."""
    side = math.isqrt(values.size // 3)
    if side * side * 3 != values.size or side == 0:
        raise ValueError(f"a response of {values.size} bytes is not a square RGB image")
    return values.reshape(side, side, 3)


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


def score_responses(responses, captions: list[str], scorers, sample_ids=(), images_dir=None,
                    batch_size: int = 16, total: int | None = None) -> Score:
    """CLIP score and FID of the decoded first responses (``codecs.Responses``, uint8), streamed;
    ``total``: the images expected, for the progress line."""
    from PIL import Image

    features = fid.FeatureCollector(scorers.inception, batch_size, scorers.device)
    saver = ImageSaver(images_dir, sample_ids)
    clip_scores: list[float] = []
    pending: list[tuple[Image.Image, str]] = []
    scored = 0

    def clip_flush():
        if pending:
            clip_scores.extend(scorers.clip.scores([p[0] for p in pending], [p[1] for p in pending]))
            pending.clear()

    for idx, values in progress.track(responses, "CLIP and Inception", total, " images"):
        scored += 1
        image = as_image(values)
        saver.offer(idx, image, captions[idx])
        pending.append((Image.fromarray(image), captions[idx]))
        features.add(image)
        if len(pending) >= batch_size:
            clip_flush()
    clip_flush()
    saver.finish()
    if scored < 2:
        raise ValueError(f"FID needs at least 2 images; the accuracy log has {scored}")
    mu, sigma = fid.statistics(features.features())
    fid_score = fid.frechet_distance(scorers.mu, scorers.sigma, mu, sigma)
    clip_score = float(np.mean(clip_scores))
    notes = []
    if scored < FULL_COUNT:
        notes.append(f"FID over {scored} images (fewer than {FULL_COUNT}) is not comparable with the target: "
                     "it is biased upwards for small sets")
    return Score(values={"FID_SCORE": fid_score, "CLIP_SCORE": clip_score},
                 lines=[accuracy_line(fid_score, clip_score)], scored=scored, duplicates=responses.duplicates,
                 details={"images_saved": saver.saved}, notes=notes)


def score(responses, dataset, run) -> Score:
    """The run's scorer: the scoring models on the run's device, the listed images into ``<run dir>/images``."""
    from harness.torch_device import resolve_device

    from . import coco, scoring

    scorers = scoring.from_artifacts(run.artifacts, resolve_device(run.config.device))
    sample_ids = coco.read_sample_ids(run.artifact_path("sample_ids"))
    images_dir = run.run_dir / "images" if run.run_dir is not None else None
    return score_responses(responses, dataset.captions, scorers, sample_ids, images_dir, total=run.count)
