"""Pickles in the reference's exact byte layout, and a loader that runs no code.

The reference stores each preprocessed case as a pickle and publishes the MD5 of each file.
numpy 2 pickles name the array rebuilder ``numpy._core.multiarray._reconstruct`` where numpy 1
wrote ``numpy.core.multiarray._reconstruct``; that one name changes every byte count after it,
so no numpy 2 pickle can match the published checksums. :func:`dump` writes numpy 1's name (every
other byte is the same, protocol 4 as Python's default), which numpy 1 and 2 both read.

:func:`load` and :func:`loads` read through the harness' allow-list unpickler
(:mod:`harness.pickles` with its :data:`~harness.pickles.NUMPY` list): only plain arrays, numpy
scalars and builtin data are rebuilt, each from arguments shaped as numpy writes them, so a
tampered pickle can neither run code nor crash numpy; it raises
:class:`harness.pickles.RefusedPickle` (a ValueError) naming the file.
"""

from __future__ import annotations

import io
import pickle

from harness import pickles

PROTOCOL = 4  # Python's default since 3.8: what the reference wrote
_LEGACY_MODULE = "numpy.core.multiarray"
_REBUILDERS = {"_reconstruct", "scalar"}


def _numpy_rebuilders() -> dict:
    from numpy._core import multiarray  # numpy >= 2; the project pins numpy 2

    return {getattr(multiarray, name): name for name in _REBUILDERS}


class LegacyNumpyPickler(pickle._Pickler):  # the Python pickler: its save_global can be overridden
    """A pickler that names numpy's rebuilders as numpy 1 did (any protocol)."""

    def __init__(self, file, protocol: int = PROTOCOL):
        super().__init__(file, protocol=protocol)
        self._rebuilders = _numpy_rebuilders()

    def save_global(self, obj, name=None):
        legacy = self._rebuilders.get(obj)
        if legacy is None:
            return super().save_global(obj, name)
        if self.proto >= 4:  # exactly what the pickler writes for a global, under numpy 1's name
            self.save(_LEGACY_MODULE)
            self.save(legacy)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{_LEGACY_MODULE}\n{legacy}\n".encode("ascii"))
        self.memoize(obj)
        return None


def dumps(obj) -> bytes:
    buffer = io.BytesIO()
    LegacyNumpyPickler(buffer).dump(obj)
    return buffer.getvalue()


def dump(obj, path) -> None:
    with open(path, "wb") as handle:
        handle.write(dumps(obj))


def loads(data: bytes):
    return pickles.loads(data, allow=pickles.NUMPY)


def load(path):
    return pickles.load(path, allow=pickles.NUMPY)
