"""Rows of day 23 grouped into LoadGen samples, as the reference does it.

One LoadGen sample is a run of consecutive rows (a user with 100 to 700 user-item pairs). The
run lengths are drawn with the legacy global numpy generator seeded with 123, one draw per
sample, from a 20-entry quantile table (inverse CDF); the last run is cut at the end of the
rows. The draws are made in one vectorised call: legacy ``RandomState.randint`` gives the same
sequence whether it is asked for values one at a time or as an array.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 123
QUANTILE_FILE = Path(__file__).with_name("dist_quantile.txt")


def read_quantiles(path=QUANTILE_FILE) -> np.ndarray:
    """The run lengths of the quantile file's first line ("100, 100, 200, ...")."""
    line = Path(path).read_text().splitlines()[0]
    values = np.array([int(v) for v in line.replace(",", " ").split()], dtype=np.int64)
    if values.size == 0 or (values <= 0).any():
        raise ValueError(f"{path}: expected positive run lengths on its first line, got {line!r}")
    return values


def sample_offsets(rows: int, quantiles: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Offsets ``[0, o1, ..., rows]``: sample i is rows ``[off[i], off[i+1])``."""
    if rows <= 0:
        raise ValueError(f"cannot aggregate {rows} rows")
    rng = np.random.RandomState(seed)
    # at most ceil(rows / shortest run) draws are ever needed; drawing more changes nothing
    draws = rng.randint(low=0, high=len(quantiles), size=-(-rows // int(quantiles.min())))
    ends = np.cumsum(quantiles[draws])
    last = int(np.searchsorted(ends, rows))  # first run that reaches the end of the rows
    offsets = np.empty(last + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = np.minimum(ends[: last + 1], rows)
    lo = -(-rows // int(quantiles.max()))
    hi = -(-rows // int(quantiles[0]))
    if not lo <= len(offsets) - 1 <= hi:  # the reference's sanity check
        raise ValueError(f"{len(offsets) - 1} aggregated samples for {rows} rows is outside [{lo}, {hi}]")
    return offsets
