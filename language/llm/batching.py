"""Offline batches of similar prompt length across the whole loaded set.

The runner hands the backend LoadGen's issue order in chunks of BATCH_SIZE, so a chunk mixes
long and short prompts and every row is padded to the longest. In Offline every loaded sample is
issued, so the backend may generate ahead: all loaded prompts are sorted by length once and cut
into batches; a request generates the sorted batches holding the asked samples and keeps the
other rows until they are asked for. Nothing is generated that the run will not ask for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class LengthSortedBatches:
    """``outputs(indices)`` over ``loaded()``, generating sorted batches on demand: ``generate(batch)``
    gives the outputs of a batch of indices, ``length(i)`` the prompt length of index ``i``."""

    def __init__(self, generate: Callable[[list[int]], list[np.ndarray]], length: Callable[[int], int],
                 loaded: Callable[[], list[int]], batch_size: int):
        self.generate, self.length, self.loaded, self.batch_size = generate, length, loaded, max(1, batch_size)
        self.batch_of: dict[int, list[int]] = {}
        self.ready: dict[int, np.ndarray] = {}

    def _plan(self, wanted: list[int]) -> None:
        todo = sorted(set(self.loaded()) | set(wanted), key=lambda i: (-self.length(i), i))
        todo = [i for i in todo if i not in self.ready]
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start:start + self.batch_size]
            for i in batch:
                self.batch_of[i] = batch

    def outputs(self, indices: list[int]) -> list[np.ndarray]:
        if any(i not in self.ready and i not in self.batch_of for i in indices):
            self._plan(indices)  # first request, or samples loaded since the last plan
        for i in indices:
            if i not in self.ready:
                batch = [j for j in self.batch_of[i] if j not in self.ready]
                self.ready.update(zip(batch, self.generate(batch)))
        # a performance-mode query may ask for one sample twice: hand it out to each
        found = {i: self.ready.pop(i) for i in dict.fromkeys(indices)}
        return [found[i] for i in indices]
