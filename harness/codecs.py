"""How one response becomes LoadGen bytes and back, shared by the SUT and the scorer.

LoadGen logs each response as upper-case hex of its raw bytes in ``mlperf_log_accuracy.json``.
A codec fixes the dtype (little-endian, explicit) so the scorer never guesses what the SUT wrote.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import AccuracyLogError


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


_HEX = re.compile(r"[0-9A-Fa-f]*")


def iter_accuracy_log(path, chunk_size: int = 1 << 20) -> Iterator[dict]:
    """The entries of an accuracy log in file order, read incrementally.

    For logs too large to hold (DLRM's is ~1.5 GB of hex, SDXL's ~31 GB): memory stays at about
    one entry plus ``chunk_size``. Accepts any JSON list of objects, whatever its layout.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no accuracy log at {path}: did the LoadGen run finish?")
    decoder = json.JSONDecoder()
    number = 0
    with path.open(encoding="utf-8") as handle:
        buffer, pos, eof = "", 0, False
        started = False

        def fill(need_more: bool) -> bool:
            nonlocal buffer, pos, eof
            if eof:
                return False
            # Grow reads geometrically so one huge entry is not re-scanned once per chunk.
            more = handle.read(max(chunk_size, len(buffer) - pos if need_more else 0))
            buffer, pos = buffer[pos:] + more, 0
            eof = not more
            return bool(more)

        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(buffer):
                if not fill(False):
                    raise AccuracyLogError(f"{path} is not a complete LoadGen accuracy log (it ends early)")
                continue
            char = buffer[pos]
            if not started:
                if char != "[":
                    raise AccuracyLogError(f"{path} is not a LoadGen accuracy log: expected a JSON list of entries")
                started, pos = True, pos + 1
                continue
            if char == "]":
                return
            try:
                entry, end = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError as exc:
                if fill(True):
                    continue
                raise AccuracyLogError(f"{path} is not a complete LoadGen accuracy log ({exc})") from None
            except RecursionError:
                raise AccuracyLogError(f"{path}: entry {number} is nested too deeply to be a LoadGen entry") from None
            if end == len(buffer) and not eof and not isinstance(entry, dict):
                fill(True)  # a number cut at the buffer's end: read on and decode again
                continue
            if not isinstance(entry, dict):
                shown = repr(entry)[:60]
                raise AccuracyLogError(f"{path}: entry {number} ({shown}) is not an object with qsl_idx and data")
            pos = end
            yield entry
            number += 1


class Responses:
    """The first response per sample of an accuracy log, decoded with a codec, in log order.

    This is what a scorer receives: it never sees hex or bytes. Iterating streams the log (memory
    of about one entry, so DLRM's and SDXL's logs of gigabytes are fine) and yields
    ``(qsl_idx, decoded)``; later responses for the same qsl_idx are counted in ``duplicates``
    (MultiStream pads its queries with repeats). With ``size`` (the dataset's size) a qsl_idx
    outside ``0..size-1`` is an error naming it, and so is a log without any response.

        >>> import json, tempfile
        >>> log = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        >>> json.dump([{"seq_id": 0, "qsl_idx": 1, "data": "0200000000000000"},
        ...            {"seq_id": 1, "qsl_idx": 1, "data": "0300000000000000"}], log); log.close()
        >>> responses = Responses(log.name, INT64, size=4)
        >>> [(i, a.tolist()) for i, a in responses], responses.duplicates
        ([(1, [2])], 1)
    """

    def __init__(self, path, codec, size: int | None = None, max_bytes: int | None = None):
        self.path, self.codec, self.size, self.max_bytes = Path(path), codec, size, max_bytes
        self.duplicates = 0
        self.indices: list[int] = []

    def __iter__(self):
        seen: set[int] = set()
        self.duplicates = 0
        for number, idx, data in self._entries():
            if idx in seen:
                self.duplicates += 1
                continue
            seen.add(idx)
            yield idx, self._decode(number, idx, data)
        self.indices = sorted(seen)

    def every(self):
        """Every response in log order, repeats included, decoded: for the reference scripts that
        keep the last response per sample (BERT's SQuAD scorer) or count them all (RNN-T's WER)."""
        seen: set[int] = set()
        for number, idx, data in self._entries():
            seen.add(idx)
            yield idx, self._decode(number, idx, data)
        self.duplicates = 0
        self.indices = sorted(seen)

    def _decode(self, number: int, idx: int, data: str):
        try:
            return self.codec.decode(bytes.fromhex(data))
        except ValueError as exc:  # e.g. a byte count that is no whole number of values
            raise AccuracyLogError(f"{self.path}: entry {number} (qsl_idx {idx}) cannot be decoded as "
                                   f"{getattr(self.codec, 'dtype', 'this codec')}: {exc}") from None

    def _entries(self):
        """``(entry number, qsl_idx, hex data)`` of each entry, checked to be what LoadGen writes."""
        empty = True
        for number, entry in enumerate(iter_accuracy_log(self.path)):
            idx, data = entry.get("qsl_idx"), entry.get("data")
            where = f"{self.path}: entry {number}"
            if type(idx) is not int or idx < 0:  # bool is an int subclass; LoadGen writes plain integers
                raise AccuracyLogError(f"{where} has qsl_idx {idx!r}; LoadGen writes a sample index (0, 1, ...)")
            if self.size is not None and idx >= self.size:
                raise AccuracyLogError(f"{where} has qsl_idx {idx}, but the dataset has {self.size} samples")
            if not isinstance(data, str) or len(data) % 2 or not _HEX.fullmatch(data):
                shown = "no data" if data is None else f"data {str(data)[:40]!r}"
                raise AccuracyLogError(f"{where} (qsl_idx {idx}) has {shown}; LoadGen writes the response as hex")
            if self.max_bytes is not None and len(data) // 2 > self.max_bytes:
                raise AccuracyLogError(f"{where} (qsl_idx {idx}) holds {len(data) // 2:,} bytes, more than the "
                                       f"{self.max_bytes:,} an answer of this benchmark can have")
            empty = False
            yield number, idx, data
        if self.size is not None and empty:
            raise AccuracyLogError(f"{self.path}: no responses to score: the accuracy log is empty")

    def collect(self) -> dict:
        """``{qsl_idx: decoded}`` in log order (for logs small enough to hold)."""
        return dict(iter(self))
