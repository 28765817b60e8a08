"""A tiny LibriSpeech-like set and a tiny random RNN-T, generated offline, for the demo and tests.

Utterances are speech-like signals made with numpy (voiced "words" of harmonics under a
syllable envelope, separated by pauses), saved as FLAC in LibriSpeech's layout with
``*.trans.txt`` transcripts, so the run converts them to WAV as it does the real set. One
utterance is longer than 15 s and is dropped by the manifest filter, as 190 are in dev-clean.
The model has the reference's module names and layer counts with small sizes; its weights are
random, so nothing here is an accuracy claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest

from . import librispeech
from .features import SAMPLE_RATE

WORDS = ("the", "of", "and", "to", "a", "in", "he", "was", "that", "his", "it", "with", "had", "she's", "you")


def speech_like(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """int16 samples: voiced bursts with a gliding pitch, pauses between them, faint noise."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    signal = rng.normal(0, 0.003, n)
    start = rng.uniform(0.05, 0.3)
    while start < seconds - 0.2:
        length = rng.uniform(0.15, 0.5)
        inside = (t >= start) & (t < start + length)
        local = t[inside] - start
        f0 = rng.uniform(90, 220) * (1 + 0.15 * local / length)
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
        signal[inside] += 0.2 * np.sin(np.pi * local / length) ** 2 * voiced
        start += length + rng.uniform(0.05, 0.35)
    return np.clip(signal * 32767, -32768, 32767).astype(np.int16)


def write_audio(root: Path, durations: list[float], seed: int) -> None:
    import soundfile

    rng = np.random.default_rng(seed)
    chapter = root / librispeech.FLAC_ROOT / "84" / "121123"
    chapter.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, seconds in enumerate(durations):
        utt = f"84-121123-{i:04d}"
        soundfile.write(str(chapter / f"{utt}.flac"), speech_like(rng, seconds), SAMPLE_RATE, subtype="PCM_16")
        words = rng.choice(WORDS, size=max(1, int(seconds * 2)))
        lines.append(f"{utt} {' '.join(words).upper()}\n")
    (chapter / "84-121123.trans.txt").write_text("".join(lines))


def tiny_config():
    from .model import RNNTConfig

    return RNNTConfig(encoder_hidden=24, pred_hidden=16, joint_hidden=24)


def write_model(path: Path, seed: int, audio: list[Path]) -> None:
    """A tiny random RNN-T saved like the reference checkpoint (``state_dict`` with ``joint_net``
    names and featurizer buffers), plus its sizes under ``rnnt_config``.

    A random encoder barely varies from frame to frame, so its greedy output would be empty for
    every utterance; standardising the joint's encoder inputs on the fixture's frames and setting
    the blank bias at a quantile of the blank margin makes it emit labels (long runs, often the
    30 per frame limit), which gives the tests non-trivial transcripts.
    """
    import torch

    from .dataset import read_audio
    from .features import Featurizer
    from .model import RNNT
    from .text import BLANK

    torch.manual_seed(seed)
    model = RNNT(tiny_config()).eval()
    featurize, hidden = Featurizer(), model.cfg.encoder_hidden
    with torch.no_grad():
        frames = torch.cat([model.encoder(torch.from_numpy(featurize(read_audio(p))).unsqueeze(1))[:, 0]
                            for p in audio])
        first = model.joint.net[0]
        scale = 1 / (frames.std(0) + 1e-6)
        first.bias -= first.weight[:, :hidden] @ (frames.mean(0) * scale)
        first.weight[:, :hidden] *= scale
        model.joint.net[3].weight *= 3
        start, _ = model.prediction.step(None, None)
        logits = model.joint(frames, start[0, 0].expand(len(frames), -1))
        margin = logits[:, BLANK] - logits[:, :BLANK].max(1).values
        model.joint.net[3].bias[BLANK] -= float(margin.quantile(0.3)) + 0.01
    state = {k.replace("joint.net", "joint_net"): v for k, v in model.state_dict().items()}
    state["audio_preprocessor.featurizer.fb"] = torch.zeros(1, 80, 257)
    state["audio_preprocessor.featurizer.window"] = torch.zeros(320)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "epoch": 0, "rnnt_config": model.cfg.as_dict()}, path)


def write_manifest(folder: Path) -> Path:
    entries = json.loads((folder / "dataset" / "dev-clean-wav.json").read_text())
    count = sum(1 for e in entries if e["original_duration"] <= librispeech.MAX_DURATION)
    manifest = {
        "demo": True,
        "count": count,
        "note": "random weights on generated speech-like audio",
        "artifacts": {
            "weights": {"path": "rnnt_tiny.pt", "sha256": file_digest(folder / "rnnt_tiny.pt", "sha256")},
            "manifest": {"path": "dataset/dev-clean-wav.json",
                         "sha256": file_digest(folder / "dataset" / "dev-clean-wav.json", "sha256")},
            "librispeech": {"path": "dataset"},
        },
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def build(folder, count: int = 12, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text())["count"] == count:
        return manifest
    rng = np.random.default_rng(seed)
    durations = [round(float(d), 2) for d in rng.uniform(0.8, 3.0, size=count)]
    durations.insert(count // 2, 15.5)  # dropped by the 15 s filter
    write_audio(folder / "dataset", durations, seed)
    entries = librispeech.build_manifest(folder / "dataset")
    (folder / "dataset" / "dev-clean-wav.json").write_text(json.dumps(entries, indent=2) + "\n")
    audio = sorted((folder / "dataset" / librispeech.FLAC_ROOT).rglob("*.flac"))
    write_model(folder / "rnnt_tiny.pt", seed, [p for p, d in zip(audio, durations) if d <= librispeech.MAX_DURATION])
    return write_manifest(folder)
