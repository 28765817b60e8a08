"""The QSL side of RNN-T: dev-clean utterances of at most 15 s, as log-mel features in memory.

``artifacts["librispeech"]`` is the dataset folder (holding ``dev-clean-wav/``, or the unpacked
``LibriSpeech/dev-clean/`` FLAC files that ``prepare`` converts); ``artifacts["manifest"]`` fixes
the utterances and their order. Audio is read as float32 (int16 / 32768), never trimmed or
resampled; a file that is not 16 kHz is an error rather than a silent resample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.errors import MissingArtifactError

from . import librispeech, text
from .features import SAMPLE_RATE, Featurizer


def read_audio(path) -> np.ndarray:
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path} is {rate} Hz; the model expects {SAMPLE_RATE} Hz")
    return samples.mean(axis=1, dtype=np.float32) if samples.shape[1] > 1 else samples[:, 0]


def features_of_files(paths: list) -> list[np.ndarray]:
    """Features of many files in this process; torch's threads (THREADS) are the parallelism.
    Worker processes were measured slower (bench/rnnt_features.py): each pays a torch import and
    sends its features back through a pipe, which costs more than the features take to compute."""
    featurize = Featurizer()
    return [featurize(read_audio(p)) for p in paths]


class LibrispeechDataset:
    def __init__(self, artifacts, config):
        self.root = Path(artifacts["librispeech"].path)
        utterances = librispeech.read_manifest(artifacts["manifest"].path)
        if len(utterances) < config.n_count:
            raise MissingArtifactError(
                f"N_COUNT={config.n_count} but the manifest keeps {len(utterances)} utterances of at most "
                f"{librispeech.MAX_DURATION} s")
        self.utterances = utterances[: config.n_count]
        self.count = len(self.utterances)
        self.references = [text.normalize(u.transcript) for u in self.utterances]
        self.workers = config.workers
        self._loaded: dict[int, np.ndarray] = {}

    def prepare(self) -> None:
        try:
            done = librispeech.convert_missing(self.root, self.utterances, self.workers)
        except FileNotFoundError as exc:
            raise MissingArtifactError(str(exc)) from None
        print(f"   converted {done} FLAC file(s) to WAV; {self.count - done} were there")

    def load(self, indices) -> None:
        todo = [i for i in indices if i not in self._loaded]
        paths = [self.root / self.utterances[i].wav for i in todo]
        for i, feats in zip(todo, features_of_files(paths)):
            self._loaded[i] = feats

    def unload(self, indices) -> None:
        for i in indices:
            self._loaded.pop(i, None)

    def sample(self, index: int) -> np.ndarray:
        return self._loaded[index]
