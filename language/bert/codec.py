"""One response = the start and end logit of each of the 384 positions, interleaved, float32.

That is the reference SUT's buffer (``stack([start, end], -1)`` of shape (384, 2), row-major),
which runs encode with ``LOGITS``. Decoding follows the reference scorer: the codec's dtype (any
of its ``--output_dtype`` values), optionally stored transposed as (2, n) (its
``--output_transposed``), widened to float64 and padded to 384 positions with -10000.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.codecs import ArrayCodec

from .features import MAX_SEQ_LENGTH

DTYPES = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")  # upstream's --output_dtype
PAD_LOGIT = -10000.0


@dataclass(frozen=True)
class StartEndLogitsCodec(ArrayCodec):
    transposed: bool = False  # how another harness laid out its responses; encode never transposes

    def decode(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """``(start, end)`` float64 arrays of length 384 from one logged response."""
        if len(data) % (2 * np.dtype(self.dtype).itemsize):
            raise ValueError(f"a response of {len(data)} bytes is not pairs of {self.dtype} logits")
        values = super().decode(data)
        pairs = values.reshape(2, -1).T if self.transposed else values.reshape(-1, 2)
        if len(pairs) > MAX_SEQ_LENGTH:
            raise ValueError(f"a response holds {len(pairs)} positions, more than {MAX_SEQ_LENGTH}; "
                             "is --output_dtype right?")
        start = np.full(MAX_SEQ_LENGTH, PAD_LOGIT)
        end = np.full(MAX_SEQ_LENGTH, PAD_LOGIT)
        start[:len(pairs)] = pairs[:, 0]
        end[:len(pairs)] = pairs[:, 1]
        return start, end


LOGITS = StartEndLogitsCodec("float32")
