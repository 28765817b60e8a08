"""The checks of numpy's rebuilders: dtypes, arrays and scalars only as numpy itself writes them.

numpy's rebuilders trust their input: an object array whose list is shorter than its shape, or
whose dtype's flags were cleared, reads garbage as pointers. So a dtype must be a plain one numpy
would make (its state compared, never applied from the file) and an array's data must fill it.
"""

from __future__ import annotations

import math
import re

from .refusal import _brief, _is_int, _Refusal
from .rules import _numpy

_DTYPE_SPEC = re.compile(r"[biufcOSUVmM][0-9]{0,9}")  # what numpy's dtype.__reduce__ writes


def _empty(value) -> bool:
    """None or an empty dict: the only metadata numpy writes for a plain dtype."""
    return value is None or (type(value) is dict and not value)


def _shape(value) -> bool:
    return type(value) is tuple and len(value) <= 64 and all(_is_int(n) and n >= 0 for n in value)


class _NumpyRules:
    """REDUCE and BUILD of numpy.dtype, _reconstruct, scalar and _frombuffer.

    Mixed into ``_Unpickler``, whose ``_need`` / ``_fresh_object`` / ``_done`` track which objects
    were made here and are complete.
    """

    def _call_dtype(self, func, *args):
        spec, align, copy = (args + (False, False))[:3] if 1 <= len(args) <= 3 else (None, None, None)
        if type(spec) is not str or not _DTYPE_SPEC.fullmatch(spec) or align is not False or type(copy) is not bool:
            raise _Refusal(f"numpy.dtype{_brief(args)}: only the plain dtypes numpy writes as (kind+size, False, "
                           "True) are read", "numpy.dtype")
        return self._fresh_object(func(spec, False, True), self._set_dtype)

    def _set_dtype(self, dtype, state):
        # numpy's dtype.__setstate__ trusts its input (a byte-swapped object dtype crashes numpy), so
        # the file's state is only compared: the dtype is rebuilt from its kind, byte order and
        # datetime unit by numpy's constructor, the file must hold exactly the state numpy writes
        # for that, and numpy's own state is applied.
        np = _numpy()
        plain = (int, str, type(None))
        ok = (type(state) is tuple and len(state) in (8, 9) and all(type(v) in plain for v in state[:8])
              and state[1] in ("<", ">", "|"))
        text = dtype.str[1:]  # kind and size of the dtype just made from numpy's spec
        if ok and len(state) == 9 and dtype.kind in "mM":  # (None or {}, (unit, count, 1, 1))
            meta = state[8]
            ok = (type(meta) is tuple and len(meta) == 2 and _empty(meta[0]) and type(meta[1]) is tuple
                  and len(meta[1]) == 4 and type(meta[1][0]) is bytes and re.fullmatch(rb"[a-zA-Z]{1,7}", meta[1][0])
                  and all(_is_int(n) for n in meta[1][1:]) and 0 < meta[1][1] < 2**31 and meta[1][2:] == (1, 1))
            if ok and meta[1][0] != b"generic":
                text = f"{text}[{meta[1][1]}{meta[1][0].decode()}]"
        elif ok and len(state) == 9:
            ok = _empty(state[8])
        reference = None
        if ok:
            try:
                reference = np.dtype(state[1] + text)
            except (TypeError, ValueError):
                reference = None
        expected = reference.__reduce__()[2] if reference is not None else ()
        if not (ok and state[:7] == expected[:7] and len(state) == len(expected)):
            raise _Refusal(f"a numpy {text} dtype with a state numpy does not write {_brief(state)} "
                           "(structured and subarray dtypes are not read)", "numpy.dtype")
        np.dtype.__setstate__(dtype, expected)  # flags and metadata as numpy writes them, not the file's
        if not (dtype == reference and dtype.flags == reference.flags and dtype.itemsize == reference.itemsize):
            raise _Refusal(f"a numpy dtype that does not rebuild as {reference.str}", "numpy.dtype")
        self._done(dtype, "dtype")

    def _call_reconstruct(self, func, *args):
        np = _numpy()
        if not (len(args) == 3 and args[0] is np.ndarray and _shape(args[1]) and args[1] == (0,)
                and type(args[2]) in (bytes, str) and args[2] in (b"b", "b")):
            raise _Refusal(f"numpy _reconstruct{_brief(args)}: only (numpy.ndarray, (0,), b'b') is read",
                           "numpy._core.multiarray._reconstruct")
        return self._fresh_object(func(np.ndarray, (0,), b"b"), self._set_ndarray)

    def _set_ndarray(self, array, state):
        np = _numpy()
        if not (type(state) is tuple and len(state) == 5 and _is_int(state[0]) and state[0] == 1
                and _shape(state[1]) and type(state[3]) is bool):
            raise _Refusal(f"a numpy array with a state numpy does not write {_brief(state)}", "numpy.ndarray")
        _, shape, dtype, _, data = state
        self._need(dtype, "dtype", "a numpy array's dtype")
        count = math.prod(shape)
        if dtype.hasobject:
            ok = type(data) is list and len(data) == count
        else:
            ok = type(data) in (bytes, bytearray) and len(data) == count * dtype.itemsize
        if not ok:
            size = len(data) if type(data) in (list, bytes, bytearray) else "?"
            raise _Refusal(f"a numpy {dtype.str} array of shape {shape} whose data does not fill it "
                           f"({type(data).__name__} of length {size})", "numpy.ndarray")
        np.ndarray.__setstate__(array, state)
        self._done(array, "ndarray")

    def _call_scalar(self, func, *args):
        if len(args) == 2 and type(args[1]) is bytes:
            dtype = self._need(args[0], "dtype", "a numpy scalar's dtype")
            if not dtype.hasobject and len(args[1]) == dtype.itemsize:
                return func(dtype, args[1])
        raise _Refusal(f"numpy scalar{_brief(args)}: only a dtype and its itemsize in bytes are read",
                       "numpy._core.multiarray.scalar")

    def _call_frombuffer(self, func, *args):
        ok = 4 <= len(args) <= 5 and type(args[0]) in (bytes, bytearray) and _shape(args[2])
        if ok:
            buffer, dtype, shape, order = args[:4]
            axes = args[4] if len(args) == 5 else None
            self._need(dtype, "dtype", "a numpy array's dtype")
            ok = (not dtype.hasobject and dtype.itemsize > 0 and len(buffer) == math.prod(shape) * dtype.itemsize
                  and type(order) is str and order in ("C", "F", "K")
                  and (axes is None or (_shape(axes) and sorted(axes) == list(range(len(shape))))))
        if not ok:
            raise _Refusal(f"numpy _frombuffer{_brief(args)}: only bytes that fill a plain dtype and shape are read",
                           "numpy._core.numeric._frombuffer")
        array = func(*args)
        if type(array) is not _numpy().ndarray:
            raise _Refusal("numpy _frombuffer returned no plain array", "numpy._core.numeric._frombuffer")
        return self._done(array, "ndarray")
