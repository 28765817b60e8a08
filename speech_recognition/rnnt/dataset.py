"""The QSL side of RNN-T: dev-clean utterances of at most 15 s, as log-mel features in memory.

The ``librispeech`` artifact is the dataset folder (holding ``dev-clean-wav/``, or the unpacked
``LibriSpeech/dev-clean/`` FLAC files that ``prepare`` converts for the run's utterances); the
``manifest`` artifact fixes the utterances, their order and the reference transcripts. Audio is
read as float32 (int16 / 32768), never trimmed or resampled; a file that is not 16 kHz is an
error rather than a silent resample.
"""

from __future__ import annotations

import numpy as np

from harness.contract import Dataset
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


class LibrispeechDataset(Dataset):
    def __init__(self, run):
        super().__init__(run)
        self.root = run.artifact_path("librispeech")
        self.utterances = librispeech.read_manifest(run.artifact_path("manifest"))
        self.references = [text.normalize(u.transcript) for u in self.utterances]
        self._loaded: dict[int, np.ndarray] = {}

    @property
    def size(self) -> int:
        return len(self.utterances)

    def prepare(self) -> None:
        utterances = [self.utterances[i] for i in self.run.indices]
        try:
            done = librispeech.convert_missing(self.root, utterances, self.run.config.workers)
        except FileNotFoundError as exc:
            raise MissingArtifactError(str(exc)) from None
        print(f"   converted {done} FLAC file(s) to WAV; {len(utterances) - done} were there")

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
