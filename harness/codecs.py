"""How one response becomes LoadGen bytes and back, shared by the SUT and the scorer.

LoadGen logs each response as upper-case hex of its raw bytes in ``mlperf_log_accuracy.json``.
A codec fixes the dtype (little-endian, explicit) so the scorer never guesses what the SUT wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ArrayCodec:
    """A flat array of one dtype; ``encode`` and ``decode`` are exact inverses."""

    dtype: str

    def encode(self, values) -> bytes:
        return np.ascontiguousarray(np.asarray(values, dtype=np.dtype(self.dtype).newbyteorder("<"))).tobytes()

    def decode(self, data: bytes) -> np.ndarray:
        return np.frombuffer(data, dtype=np.dtype(self.dtype).newbyteorder("<"))

    def encode_batch(self, outputs) -> tuple[np.ndarray, int | list[int]]:
        """All responses of a batch in one contiguous byte array, and the size of each in bytes
        (one int when all are the same size). This is the runner's hot path: a backend that returns
        one stacked array (first axis = samples) is converted in a single numpy call."""
        little = np.dtype(self.dtype).newbyteorder("<")
        if isinstance(outputs, np.ndarray) and outputs.ndim >= 1:
            block = np.ascontiguousarray(outputs, dtype=little).reshape(len(outputs), -1)
            return block.view(np.uint8).reshape(-1), block.shape[1] * little.itemsize
        parts = [self.encode(out) for out in outputs]
        sizes = [len(p) for p in parts]
        return np.frombuffer(b"".join(parts), dtype=np.uint8), (sizes[0] if len(set(sizes)) == 1 else sizes)


FLOAT32 = ArrayCodec("float32")
INT32 = ArrayCodec("int32")
INT64 = ArrayCodec("int64")
UINT8 = ArrayCodec("uint8")


def read_accuracy_log(path) -> list[dict]:
    """The entries of an accuracy log in file order, with a readable error for a broken file."""
    path = Path(path)
    try:
        with path.open() as handle:
            entries = json.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(f"no accuracy log at {path}: did the LoadGen run finish?") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a complete LoadGen accuracy log ({exc})") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path} is not a LoadGen accuracy log: expected a JSON list of entries")
    return entries


def first_responses(entries: list[dict]) -> tuple[dict[int, bytes], int]:
    """Keep the first response per qsl_idx in log order, as the reference scripts do.

    Returns ``({qsl_idx: payload bytes}, number of duplicates ignored)``. MultiStream pads its
    queries with repeats, so duplicates are normal there.
    """
    kept: dict[int, bytes] = {}
    for entry in entries:
        idx = int(entry["qsl_idx"])
        if idx not in kept:
            kept[idx] = bytes.fromhex(entry["data"])
    return kept, len(entries) - len(kept)
