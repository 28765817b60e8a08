"""The preprocessed multi-hot Criteo day 23 files, memory-mapped in place and never read whole.

- ``day_23_dense.npy``: float32 (rows, 13); ``day_23_labels.npy``: int32 (rows, 1);
- ``day_23_sparse_multi_hot.npz``: an *uncompressed* zip of ``0.npy`` .. ``25.npy``, int32
  (rows, multi-hot size of feature k). Each member is mapped at its data offset inside the zip
  (the local file header is read for that offset), so the 143 GB archive is never extracted.

The validation set is the first ceil(rows / 2) rows, as the reference's "multihot-criteo" val stage.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DENSE_FEATURES = 13
MULTI_HOT_SIZES = (3, 2, 1, 2, 6, 1, 1, 1, 1, 7, 3, 8, 1, 6, 9, 5, 1, 1, 1, 12, 100, 27, 10, 3, 1, 1)
DAY_23_ROWS = 178_274_637
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # zip local file header, 30 bytes
_LOCAL_MAGIC = b"PK\x03\x04"


def map_npz_member(path, member: str) -> np.memmap:
    """A read-only memmap of one stored (uncompressed) .npy member of a zip/npz file."""
    path = Path(path)
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo(member)
        except KeyError:
            raise ValueError(f"{path} has no member {member!r}; is it day_23_sparse_multi_hot.npz?") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{path}: member {member} is compressed (method {info.compress_type}); it must be "
                         "stored uncompressed (np.savez, not np.savez_compressed) to be memory-mapped. "
                         "Use the preprocessed file as published, or rewrite it with np.savez.")
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        fields = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
        if fields[0] != _LOCAL_MAGIC:
            raise ValueError(f"{path}: no zip local header for {member} at byte {info.header_offset}")
        name_len, extra_len = fields[-2], fields[-1]
        handle.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        offset = handle.tell()
    if dtype != np.dtype("int32"):
        raise ValueError(f"{path}: member {member} holds {dtype}, expected int32 indices")
    return np.memmap(path, dtype=dtype, mode="r", shape=shape, order="F" if fortran else "C", offset=offset)


@dataclass
class Day23:
    """Memmaps of the validation rows: dense (n, 13) float32, labels (n, 1) int32 and one
    (n, size_k) int32 index array per categorical feature."""

    dense: np.ndarray
    labels: np.ndarray
    sparse: list[np.ndarray]

    @property
    def rows(self) -> int:
        return len(self.dense)


def open_validation(dense_path, labels_path, sparse_path) -> Day23:
    """Map the three files, check that they agree, and keep the first ceil(rows / 2) rows."""
    dense = np.load(dense_path, mmap_mode="r")
    labels = np.load(labels_path, mmap_mode="r")
    sparse = [map_npz_member(sparse_path, f"{k}.npy") for k in range(len(MULTI_HOT_SIZES))]
    rows = len(dense)
    if dense.dtype != np.float32 or dense.ndim != 2 or dense.shape[1] != DENSE_FEATURES:
        raise ValueError(f"{dense_path}: expected float32 (rows, {DENSE_FEATURES}), got {dense.dtype} {dense.shape}")
    if labels.dtype != np.int32 or len(labels) != rows:
        raise ValueError(f"{labels_path}: expected int32 with {rows} rows, got {labels.dtype} {labels.shape}")
    sizes = tuple(arr.shape[1] if arr.ndim == 2 else -1 for arr in sparse)
    if sizes != MULTI_HOT_SIZES or any(len(arr) != rows for arr in sparse):
        raise ValueError(f"{sparse_path}: expected {rows} rows with multi-hot sizes {MULTI_HOT_SIZES}, "
                         f"got sizes {sizes} and rows {[len(a) for a in sparse]}")
    half = (rows + 1) // 2
    labels = labels.reshape(rows, -1)
    return Day23(dense[:half], labels[:half], [arr[:half] for arr in sparse])
