"""Backends for the compliance tests (BACKEND=cheating_backends:<Class>, with tests/ on PYTHONPATH):
the benchmark's reference backend on a simulated accelerator of fixed speed, honest (Paced) or
cheating in the one way each compliance test exists to catch.

Paced makes every computed sample take PACE_S seconds of wall time (compute included), so two runs
of the same work take the same time on a busy machine and the 5-10 % bands of upstream's
verify_performance.py judge the backend, not the machine's load.
"""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np

from harness.contract import Backend
from harness.declaration import load_object

PACE_S = float(os.environ.get("CHEAT_PACE_S", "0.02"))  # seconds per computed sample


class Paced(Backend):
    """Honest: the reference backend's outputs, each sample costing PACE_S."""

    def __init__(self, dataset, run):
        super().__init__(dataset, run)
        self.reference = load_object(run.benchmark.backend)(dataset, run)
        self.performance = run.config.mode == "performance"

    @property
    def notes(self):
        return self.reference.notes

    def compute(self, indices) -> list:
        began = time.monotonic()
        outputs = [np.array(o, order="C") for o in self.reference.predict(indices)]
        time.sleep(max(0.0, PACE_S * len(indices) - (time.monotonic() - began)))
        return outputs

    def predict(self, indices):
        return self.compute(indices)

    def cache_settings(self) -> dict:
        return {**self.reference.cache_settings(), "backend": type(self).__name__}

    def close(self) -> None:
        self.reference.close()


class StaleAnswers(Paced):
    """Caught by TEST01: in performance mode it computes the first batch only and answers every later
    sample with the first answer it cached, whatever the input (honest in accuracy mode)."""

    cached = None

    def predict(self, indices):
        if not self.performance:
            return self.compute(indices)
        if self.cached is None:
            self.cached = self.compute(indices[:1])[0]
        return [self.cached.copy() for _ in indices]


class CachedByIndex(Paced):
    """Caught by TEST04: answers a sample it has seen from a cache, at no cost."""

    def __init__(self, dataset, run):
        super().__init__(dataset, run)
        self.cache: dict[int, np.ndarray] = {}

    def predict(self, indices):
        todo = sorted({i for i in indices if i not in self.cache})
        if todo:
            self.cache.update(zip(todo, self.compute(todo)))
        return [self.cache[i].copy() for i in indices]


class TunedToDefaultSeeds(Paced):
    """Caught by TEST05: replays, at a quarter of the cost, the answers of the query sequence it saw in its first
    run (CHEAT_REPLAY names the file); a performance run under the official seeds issues that
    sequence again, one under TEST05's seeds does not, and is computed at the honest pace."""

    def __init__(self, dataset, run):
        super().__init__(dataset, run)
        self.path = Path(os.environ["CHEAT_REPLAY"])
        self.replay = pickle.loads(self.path.read_bytes()) if self.path.is_file() else []
        self.seen: list = []

    def predict(self, indices):
        start = len(self.seen)
        known = self.replay[start:start + len(indices)]
        if [i for i, _ in known] == list(indices):  # a quarter of the honest cost: no compute, only I/O
            outputs = [o.copy() for _, o in known]
            time.sleep(PACE_S / 4 * len(indices))
        else:
            outputs = self.compute(indices)
        self.seen.extend(zip(indices, outputs))
        return outputs

    def close(self) -> None:
        if self.performance and not self.path.is_file():
            self.path.write_bytes(pickle.dumps(self.seen))
        super().close()


class ExtraEos(Paced):
    """Caught by TEST06: LLM outputs padded with two more EOS tokens after the one that ends them."""

    EOS = 2

    def predict(self, indices):
        return [np.concatenate([o, np.full(2, self.EOS, o.dtype)]) for o in self.compute(indices)]
