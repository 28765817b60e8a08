"""The QSL side of DLRM-v2: aggregated samples of the day 23 validation rows, read on demand.

A sample is a run of consecutive rows (see ``aggregation.py``); the run's indices (N_COUNT)
count samples, not rows. The files stay memory-mapped: ``load``/``unload`` only record which
samples LoadGen made resident (a loadable set of 204,800 samples is ~55 M rows, ~50 GB if
copied), and each batch's arrays are sliced from the maps when the backend asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.contract import Dataset
from harness.errors import MissingArtifactError

from . import aggregation, criteo


@dataclass
class Batch:
    """The rows of some samples, concatenated in the order asked: dense (n, 13) float32,
    sparse[k] (n, size_k) int32, labels (n,) int32, and each sample's row count."""

    dense: np.ndarray
    sparse: list[np.ndarray]
    labels: np.ndarray
    sizes: list[int]


class MultihotCriteoDataset(Dataset):
    def __init__(self, run):
        super().__init__(run)
        try:
            self.day = criteo.open_validation(*(run.artifact_path(name) for name in ("dense", "labels", "sparse")))
        except ValueError as exc:
            raise MissingArtifactError(f"the day 23 files do not fit together: {exc}") from None
        self.offsets = aggregation.sample_offsets(self.day.rows, aggregation.read_quantiles())
        self.resident: set[int] = set()

    @property
    def size(self) -> int:
        return len(self.offsets) - 1

    def prepare(self) -> None:
        indices = self.run.indices
        rows = int(self.offsets[indices.stop] - self.offsets[indices.start])
        print(f"   {len(indices)} aggregated samples = {rows} of {self.day.rows} validation rows (memory-mapped)")

    def load(self, indices) -> None:
        self.resident.update(int(i) for i in indices)

    def unload(self, indices) -> None:
        self.resident.difference_update(int(i) for i in indices)

    def rows(self, index: int) -> tuple[int, int]:
        return int(self.offsets[index]), int(self.offsets[index + 1])

    def labels_of(self, index: int) -> np.ndarray:
        start, stop = self.rows(index)
        return np.asarray(self.day.labels[start:stop, 0])

    def batch(self, indices) -> Batch:
        spans = [self.rows(int(i)) for i in indices]
        contiguous = all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        if contiguous:  # one slice per file (LoadGen often asks for neighbours)
            pick = slice(spans[0][0], spans[-1][1])
        else:
            pick = np.concatenate([np.arange(a, b) for a, b in spans])
        # np.array copies: the batch must not alias the read-only maps
        return Batch(dense=np.array(self.day.dense[pick]),
                     sparse=[np.array(arr[pick]) for arr in self.day.sparse],
                     labels=np.array(self.day.labels[pick, 0]),
                     sizes=[b - a for a, b in spans])
