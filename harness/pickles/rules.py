"""The allow-lists: each ``(module, name)`` a pickle may use, what it may do, where it is found.

A rule names the ``_Unpickler`` methods (in the ``*_rules`` modules) that check a call of its
object or make an empty one. The object is taken from the installed numpy, pandas or standard
library under a name chosen here; nothing the file names is imported.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .refusal import _Refusal


class AllowList(frozenset):
    """Exact ``(module, name)`` pairs a pickle may name; ``what`` says in errors what they add up to."""

    def __new__(cls, pairs, what: str):
        self = super().__new__(cls, pairs)
        self.what = what
        return self


@dataclass(frozen=True)
class _Rule:
    target: str  # where the object is in the installed libraries: "module[|fallback module]:attribute"
    call: str | None = None  # the _Unpickler method that checks and makes a call of it (REDUCE)
    new: str | None = None  # the _Unpickler method that makes an empty one (NEWOBJ, no arguments)


_NP_MULTIARRAY = "numpy._core.multiarray|numpy.core.multiarray"
_NP_NUMERIC = "numpy._core.numeric|numpy.core.numeric"

# Every name a pickle may use, with what it can do. A name with neither ``call`` nor ``new`` is data
# only: it can be passed to a checked call but calling or instantiating it is refused.
_RULES: dict[tuple[str, str], _Rule] = {
    # numpy arrays, dtypes and scalars, under numpy 1's and numpy 2's module names.
    ("numpy", "ndarray"): _Rule("numpy:ndarray"),  # only as _reconstruct's first argument
    # np.dtype("i8", False, True): a simple kind+size string only (no structured or subarray
    # dtypes); its state must be the one numpy writes for that kind, byte order and datetime unit,
    # and numpy's own state is applied (object flags, itemsize and byte order never come from the file).
    ("numpy", "dtype"): _Rule("numpy:dtype", call="_call_dtype"),
    # An empty int8 array of shape (0,); BUILD then sets shape, dtype and data, which must fill it.
    ("numpy.core.multiarray", "_reconstruct"): _Rule(f"{_NP_MULTIARRAY}:_reconstruct", call="_call_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): _Rule(f"{_NP_MULTIARRAY}:_reconstruct", call="_call_reconstruct"),
    # A numpy scalar from exactly itemsize bytes (no object scalars).
    ("numpy.core.multiarray", "scalar"): _Rule(f"{_NP_MULTIARRAY}:scalar", call="_call_scalar"),
    ("numpy._core.multiarray", "scalar"): _Rule(f"{_NP_MULTIARRAY}:scalar", call="_call_scalar"),
    # Protocol 5: an array over in-band bytes (no object dtypes), reshaped.
    ("numpy.core.numeric", "_frombuffer"): _Rule(f"{_NP_NUMERIC}:_frombuffer", call="_call_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"): _Rule(f"{_NP_NUMERIC}:_frombuffer", call="_call_frombuffer"),
    # Builtin data: constructors called only with builtin containers, numbers or strings.
    ("builtins", "slice"): _Rule("builtins:slice", call="_call_slice"),
    ("builtins", "bytes"): _Rule("builtins:bytes", call="_call_bytes"),  # protocol 2's b"": bytes()
    ("builtins", "bytearray"): _Rule("builtins:bytearray", call="_call_bytearray"),
    ("builtins", "tuple"): _Rule("builtins:tuple", call="_call_container"),
    ("builtins", "list"): _Rule("builtins:list", call="_call_container"),
    ("builtins", "set"): _Rule("builtins:set", call="_call_container"),
    ("builtins", "frozenset"): _Rule("builtins:frozenset", call="_call_container"),
    ("builtins", "dict"): _Rule("builtins:dict", call="_call_mapping"),
    ("collections", "OrderedDict"): _Rule("collections:OrderedDict", call="_call_mapping"),
    ("builtins", "complex"): _Rule("builtins:complex", call="_call_complex"),
    # Protocol 2's bytes: _codecs.encode(text, "latin1"); no other codec is looked up.
    ("_codecs", "encode"): _Rule("_codecs:encode", call="_call_codecs_encode"),
    # Protocol 0/1's object creation: only copyreg._reconstructor(cls, object, None) for a cls
    # that may be created empty here anyway (the same check as NEWOBJ).
    ("copyreg", "_reconstructor"): _Rule("copyreg:_reconstructor", call="_call_reconstructor"),
    ("builtins", "object"): _Rule("builtins:object"),  # only as _reconstructor's second argument
}
_PANDAS_RULES: dict[tuple[str, str], _Rule] = {
    # DataFrame and Series: created empty, then their state dict may hold only the keys pandas
    # writes (_mgr, _typ, attrs, _flags, _metadata, name) with a block manager made here.
    ("pandas", "DataFrame"): _Rule("pandas:DataFrame", new="_new_ndframe"),
    ("pandas.core.frame", "DataFrame"): _Rule("pandas:DataFrame", new="_new_ndframe"),
    ("pandas", "Series"): _Rule("pandas:Series", new="_new_ndframe"),
    ("pandas.core.series", "Series"): _Rule("pandas:Series", new="_new_ndframe"),
    # BlockManager(blocks, axes) (pandas >= 1.3), or created empty with the "0.14.1" state dict
    # (older pandas; Series' SingleBlockManager in every version): blocks and indexes made here,
    # every column placed exactly once, every block of shape (columns placed, rows of the index).
    ("pandas.core.internals.managers", "BlockManager"):
        _Rule("pandas.core.internals.managers:BlockManager", call="_call_block_manager", new="_new_manager"),
    ("pandas.core.internals.managers", "SingleBlockManager"):
        _Rule("pandas.core.internals.managers:SingleBlockManager", new="_new_manager"),
    # _unpickle_block(values, placement, ndim): an array made here (bool/int/float/complex/object)
    # or a StringArray, a bounded slice or an array of non-negative positions, as many as rows.
    ("pandas._libs.internals", "_unpickle_block"): _Rule("pandas._libs.internals:_unpickle_block",
                                                          call="_call_unpickle_block"),
    ("pandas.core.internals.blocks", "new_block"): _Rule("pandas._libs.internals:_unpickle_block",
                                                          call="_call_unpickle_block"),  # pandas <= 1.3
    # _new_Index(cls, d): cls Index with d = {data, name}, or RangeIndex with d = {name, start,
    # stop, step}; pandas < 2's Int64Index/UInt64Index/Float64Index are today's Index.
    ("pandas.core.indexes.base", "_new_Index"): _Rule("pandas.core.indexes.base:_new_Index", call="_call_new_index"),
    ("pandas", "Index"): _Rule("pandas:Index"),
    ("pandas.core.indexes.base", "Index"): _Rule("pandas:Index"),
    ("pandas.core.indexes.numeric", "Int64Index"): _Rule("pandas:Index"),
    ("pandas.core.indexes.numeric", "UInt64Index"): _Rule("pandas:Index"),
    ("pandas.core.indexes.numeric", "Float64Index"): _Rule("pandas:Index"),
    ("pandas", "RangeIndex"): _Rule("pandas:RangeIndex"),
    ("pandas.core.indexes.range", "RangeIndex"): _Rule("pandas:RangeIndex"),
    # pandas' "string" extension dtype (pandas 3's str columns without pyarrow): storage "python",
    # NA or NaN as missing value; its array must hold only str and missing values.
    ("pandas", "StringDtype"): _Rule("pandas:StringDtype", call="_call_string_dtype", new="_new_string_dtype"),
    ("pandas.core.arrays.string_", "StringDtype"): _Rule("pandas:StringDtype", call="_call_string_dtype",
                                                         new="_new_string_dtype"),
    ("pandas.arrays", "StringArray"): _Rule("pandas.arrays:StringArray"),
    ("pandas.core.arrays.string_", "StringArray"): _Rule("pandas.arrays:StringArray"),
    # Cython's pickle helper: an empty StringArray (and no other class), its state set by BUILD.
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"):
        _Rule("pandas._libs.arrays:__pyx_unpickle_NDArrayBacked", call="_call_ndarray_backed"),
    ("pandas._libs.missing", "NA"): _Rule("pandas:NA"),  # the missing-value singleton
    ("pandas", "NA"): _Rule("pandas:NA"),
}
_RULES.update(_PANDAS_RULES)

#: numpy arrays, dtypes and scalars, and builtin containers (what ``vision/unet3d/safe_pickle`` reads).
NUMPY = AllowList((key for key in _RULES if key not in _PANDAS_RULES), "numpy arrays and plain data")
#: NUMPY plus pandas DataFrames and Series: numpy or StringArray columns, Index/RangeIndex axes.
PANDAS = AllowList(_RULES, "pandas/numpy data")

_resolved: dict[str, object] = {}


def _numpy():
    import numpy

    return numpy


def _pandas():
    import pandas

    return pandas


def _resolve(target: str):
    """The object at ``target`` ("module[|fallback]:attribute") in the installed libraries."""
    if target not in _resolved:
        modules, attribute = target.split(":")
        for module in modules.split("|"):
            try:
                _resolved[target] = getattr(importlib.import_module(module), attribute)
                break
            except (ImportError, AttributeError):
                continue
        else:
            raise _Refusal(f"{attribute} is allowed but the installed libraries have no {modules}.{attribute}")
    return _resolved[target]
