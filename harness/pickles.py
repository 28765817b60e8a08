"""Read a pickle without running code named by the file: pandas/numpy data only.

A pickle is a small program: it names callables (``module.name``) and the arguments to call them
with, and ``pickle.load`` / ``pandas.read_pickle`` run them. :func:`load` runs it through Python's
own pure-Python unpickler with every step that can run code replaced:

- a global is looked up only if its exact ``(module, name)`` pair is on the allow-list given
  (:data:`NUMPY` or :data:`PANDAS`; see ``_RULES`` for what each pair may do), else
  :class:`RefusedPickle` names it and the file. The object is taken from the installed numpy or
  pandas under a name chosen here; nothing the file names is imported.
- calling an allowed global (REDUCE), creating an object (NEWOBJ) and setting its state (BUILD)
  each go through a check that accepts only the argument shapes numpy and pandas themselves write.
  Their rebuilders trust their input, and a forged one corrupts memory even with no foreign name
  in the file: an object array whose list is shorter than its shape, or whose dtype's flags were
  cleared, reads garbage as pointers; a pandas block placed past the last column writes out of
  bounds. So an array's data must fill its shape, a dtype must be one numpy would make, a
  frame's blocks must place each column exactly once, and state is set once, on an object just
  created, before anything uses it.
- items are added only to real lists, dicts and sets; extension codes, persistent ids and the
  protocol 0/1 instance opcodes are refused.

The pure-Python unpickler is slower than the C one (2-3 s for 15,000 rows of 500-token lists,
about 5x ``pandas.read_pickle``), but the C one cannot check BUILD. :func:`read_frame` adds the checksum check and what
the dataset readers need; ``load(path, allow=NUMPY)`` reads numpy arrays and plain data only.
"""

from __future__ import annotations

import _compat_pickle
import collections
import importlib
import io
import math
import pickle
import re
from dataclasses import dataclass

from .errors import FetchError
from .hashing import verify  # checksums: the one place this module imports them


class RefusedPickle(ValueError):
    """A pickle that is refused or cannot be rebuilt; ``name`` is the ``module.name`` refused, if one was."""

    def __init__(self, message: str, name: str | None = None):
        super().__init__(message)
        self.name = name


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

_DTYPE_SPEC = re.compile(r"[biufcOSUVmM][0-9]{0,9}")  # what numpy's dtype.__reduce__ writes
_BLOCK_KINDS = "biufcO"  # numpy kinds a pandas block (or Index) may hold here: no datetimes, bytes, str
_ADVICE = ("If this is the file you meant, re-save its data as plain pandas/numpy columns; otherwise "
           "fetch it again and check it against its published checksum")
_resolved: dict[str, object] = {}


class _Refusal(Exception):
    """Raised inside the unpickler; :func:`loads` turns it into RefusedPickle naming the file."""

    def __init__(self, detail: str, name: str | None = None):
        super().__init__(detail)
        self.detail, self.name = detail, name


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


def _name_of(obj) -> str:
    """``module.qualname`` of a class or function, else of the object's type."""
    if not (isinstance(obj, type) or callable(obj)) or not hasattr(obj, "__qualname__"):
        obj = type(obj)
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"


def _brief(values) -> str:
    """Arguments as short text: plain values by repr, anything else by its type."""
    shown = []
    for value in values:
        text = repr(value) if type(value) in (str, int, float, bool, bytes, type(None)) else None
        shown.append(text if text is not None and len(text) <= 40 else type(value).__name__)
    return "(" + ", ".join(shown) + ")"


def _is_int(value) -> bool:
    return type(value) is int


def _empty(value) -> bool:
    """None or an empty dict: the only metadata numpy writes for a plain dtype."""
    return value is None or (type(value) is dict and not value)


def _shape(value) -> bool:
    return type(value) is tuple and len(value) <= 64 and all(_is_int(n) and n >= 0 for n in value)


class _Unpickler(pickle._Unpickler):  # the Python unpickler: every opcode can be replaced
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, allow: AllowList):
        super().__init__(file, fix_imports=False)
        self.allow = allow
        self._calls: dict[int, tuple[object, object]] = {}  # id(global) -> (global, checked maker)
        self._news: dict[int, tuple[object, object]] = {}  # id(class) -> (class, empty-object maker)
        self._fresh: dict[int, tuple[object, object]] = {}  # id(obj) -> (obj, state setter): BUILD once
        self._made: dict[int, tuple[object, str]] = {}  # id(obj) -> (obj, kind): checked and complete

    # -- bookkeeping --------------------------------------------------------------------------
    def _need(self, obj, kind: str, role: str):
        made = self._made.get(id(obj))
        if made is None or made[0] is not obj or made[1] != kind:
            raise _Refusal(f"{role} must be a complete {kind} rebuilt from this file, not {_name_of(obj)}")
        return obj

    def _fresh_object(self, obj, setter):
        self._fresh[id(obj)] = (obj, setter)
        return obj

    def _done(self, obj, kind: str):
        self._made[id(obj)] = (obj, kind)
        return obj

    # -- opcodes that look up, call or change objects ----------------------------------------
    def find_class(self, module, name):
        if self.proto < 3:  # Python 3 names that protocols 0-2 write as Python 2's, as pickle maps them back
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[module, name]
            else:
                module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        rule = _RULES.get((module, name)) if (module, name) in self.allow else None
        if rule is None:
            raise _Refusal(f"it names {module}.{name}, which is not among the {self.allow.what} this harness "
                           "rebuilds (loading it could run code)", f"{module}.{name}")
        obj = _resolve(rule.target)
        if rule.call:
            self._calls[id(obj)] = (obj, getattr(self, rule.call))
        if rule.new:
            self._news[id(obj)] = (obj, getattr(self, rule.new))
        return obj

    def load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        entry = self._calls.get(id(func))
        if entry is None or entry[0] is not func:
            raise _Refusal(f"it calls {_name_of(func)}, which is not allowed here", _name_of(func))
        if type(args) is not tuple:
            raise _Refusal(f"it calls {_name_of(func)} with arguments that are not a tuple", _name_of(func))
        stack[-1] = entry[1](func, *args)

    dispatch[pickle.REDUCE[0]] = load_reduce

    def _new(self, cls, args, kwargs):
        entry = self._news.get(id(cls))
        if entry is None or entry[0] is not cls:
            raise _Refusal(f"it creates an empty {_name_of(cls)}, which is not allowed here", _name_of(cls))
        if type(args) is not tuple or args or (kwargs is not None and (type(kwargs) is not dict or kwargs)):
            raise _Refusal(f"it creates {_name_of(cls)} with arguments; pandas writes none", _name_of(cls))
        return entry[1](cls)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, None))

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))

    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        entry = self._fresh.pop(id(inst), None)
        if entry is None or entry[0] is not inst:
            raise _Refusal(f"it sets the state of a {_name_of(inst)} object, which is allowed only once, on an "
                           "allowed object just created", _name_of(inst))
        entry[1](inst, state)

    dispatch[pickle.BUILD[0]] = load_build

    def _container(self, kinds, what: str):
        target = self.stack[-1]
        if type(target) not in kinds:
            raise _Refusal(f"it adds {what} to a {_name_of(target)} object, which is not a builtin container",
                           _name_of(target))
        return target

    def load_append(self):
        value = self.stack.pop()
        self._container((list,), "an item").append(value)

    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        self._container((list,), "items").extend(items)

    dispatch[pickle.APPENDS[0]] = load_appends

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._container((dict, collections.OrderedDict), "a key")[key] = value

    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        target = self._container((dict, collections.OrderedDict), "keys")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_additems(self):
        items = self.pop_mark()
        self._container((set,), "items").update(items)

    dispatch[pickle.ADDITEMS[0]] = load_additems

    def load_frame(self):
        # A frame is a read-ahead hint; its bytes follow inline, so reading on from the stream is
        # the same and spares the pure-Python frame buffer a call per opcode.
        self.read(8)

    dispatch[pickle.FRAME[0]] = load_frame

    def _refuse_opcode(self):
        raise _Refusal("it uses an opcode numpy and pandas never write (instance, extension or persistent id)")

    for _opcode in (pickle.INST, pickle.OBJ, pickle.EXT1, pickle.EXT2, pickle.EXT4, pickle.PERSID,
                    pickle.BINPERSID):
        dispatch[_opcode[0]] = _refuse_opcode
    del _opcode

    # -- numpy -------------------------------------------------------------------------------
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

    # -- builtins ----------------------------------------------------------------------------
    def _call_slice(self, func, *args):
        if 1 <= len(args) <= 3 and all(a is None or _is_int(a) for a in args):
            return slice(*args)
        raise _Refusal(f"slice{_brief(args)}: only integers and None are read", "builtins.slice")

    def _call_bytes(self, func, *args):
        if not args:
            return b""
        raise _Refusal(f"bytes{_brief(args)}: only bytes() is read", "builtins.bytes")

    def _call_bytearray(self, func, *args):
        if not args or (len(args) == 1 and type(args[0]) is bytes):
            return bytearray(*args)
        if len(args) == 2 and type(args[0]) is str and type(args[1]) is str and args[1] in ("latin-1", "latin1"):
            return bytearray(args[0], "latin-1")
        raise _Refusal(f"bytearray{_brief(args)}: only bytes or latin-1 text are read", "builtins.bytearray")

    def _call_codecs_encode(self, func, *args):
        if len(args) == 2 and type(args[0]) is str and type(args[1]) is str and args[1] in ("latin1", "latin-1"):
            return args[0].encode("latin-1")
        raise _Refusal(f"_codecs.encode{_brief(args)}: only latin-1 text (protocol 2's bytes) is read",
                       "_codecs.encode")

    def _call_container(self, func, *args):
        if not args or (len(args) == 1 and type(args[0]) in (list, tuple, set, frozenset)):
            return func(*args)
        raise _Refusal(f"{func.__name__}{_brief(args)}: only a builtin container is read", _name_of(func))

    def _call_mapping(self, func, *args):
        if not args or (len(args) == 1 and (type(args[0]) is dict or (
                type(args[0]) in (list, tuple)
                and all(type(pair) in (list, tuple) and len(pair) == 2 for pair in args[0])))):
            return func(*args)
        raise _Refusal(f"{func.__name__}{_brief(args)}: only a dict or a list of pairs is read", _name_of(func))

    def _call_complex(self, func, *args):
        if len(args) <= 2 and all(type(a) in (int, float) for a in args):
            return complex(*args)
        raise _Refusal(f"complex{_brief(args)}: only numbers are read", "builtins.complex")

    def _call_reconstructor(self, func, *args):
        if len(args) == 3 and args[1] is object and args[2] is None:
            return self._new(args[0], (), None)
        raise _Refusal(f"copyreg._reconstructor{_brief(args)}: only (cls, object, None) is read",
                       "copyreg._reconstructor")

    # -- pandas ------------------------------------------------------------------------------
    def _label(self, value, role: str):
        """A name for an axis or a Series: a plain scalar or a tuple of them."""
        np = _numpy()
        plain = (str, int, float, bool, bytes, type(None))
        if type(value) in plain or isinstance(value, np.generic) or (
                type(value) is tuple and all(type(v) in plain or isinstance(v, np.generic) for v in value)):
            return value
        raise _Refusal(f"{role} is a {_name_of(value)} object, not a plain label")

    def _new_ndframe(self, cls):
        return self._fresh_object(cls.__new__(cls), self._set_ndframe)

    def _set_ndframe(self, frame, state):
        pd = _pandas()
        is_frame = type(frame) is pd.DataFrame
        kind = "dataframe" if is_frame else "series"
        keys = {"_mgr", "_data", "_typ", "_metadata", "attrs", "_attrs", "_flags"}
        if not is_frame:
            keys |= {"name", "_name"}
        if type(state) is not dict:
            raise _Refusal(f"a {kind} with a state pandas does not write ({_name_of(state)})")
        extra = [k for k in state if type(k) is not str or k not in keys]
        if extra:
            raise _Refusal(f"a {kind} with state keys pandas does not write: {_brief(extra)}")
        state = dict(state)
        self._need(state.get("_mgr", state.get("_data")), "block manager" if is_frame else "single block manager",
                   f"a {kind}'s data")
        typ = state.get("_typ")
        if type(typ) is not str or typ != kind:
            raise _Refusal(f"a {kind} whose _typ is not {kind!r}")
        if "_metadata" in state:
            meta = state["_metadata"]
            if type(meta) not in (list, tuple) or any(type(m) is not str or m not in ("name", "_name") for m in meta):
                raise _Refusal(f"a {kind} with _metadata pandas does not write")
            state["_metadata"] = list(meta)
        for key in ("attrs", "_attrs"):
            if key in state:
                if type(state[key]) is not dict:
                    raise _Refusal(f"a {kind} whose {key} is not a dict")
                state[key] = dict(state[key])
        if "_flags" in state:
            flags = state["_flags"]
            if type(flags) is not dict or any(k != "allows_duplicate_labels" or type(v) is not bool
                                              for k, v in flags.items()):
                raise _Refusal(f"a {kind} with flags pandas does not write")
            state["_flags"] = dict(flags)
        for key in ("name", "_name"):
            if key in state:
                self._label(state[key], "a Series' name")
        type(frame).__setstate__(frame, state)
        self._done(frame, kind)

    def _placement(self, placement):
        """pandas' BlockPlacement of a pickled slice or position array, checked (positions >= 0)."""
        from pandas._libs.internals import BlockPlacement

        if type(placement) is slice and all(v is None or _is_int(v) for v in
                                             (placement.start, placement.stop, placement.step)):
            return BlockPlacement(placement)
        if type(placement) is _numpy().ndarray:
            self._need(placement, "ndarray", "a block's placement")
            if placement.ndim == 1 and placement.dtype.kind in "iu" and not (placement < 0).any():
                return BlockPlacement(placement)
        raise _Refusal(f"a block placement pandas does not write ({_name_of(placement)})")

    def _block_rows(self, values, ndim: int) -> int:
        """How many positions a block of ``values`` in an ``ndim``-D manager is placed at."""
        np, pd = _numpy(), _pandas()
        if type(values) is np.ndarray:
            self._need(values, "ndarray", "a block's values")
            if values.ndim != ndim or values.dtype.kind not in _BLOCK_KINDS:
                raise _Refusal(f"a {ndim}-D block of a {values.ndim}-D {values.dtype.str} array")
            return values.shape[0]
        if type(values) is pd.arrays.StringArray:
            self._need(values, "string array", "a block's values")
            return len(values) if ndim == 1 else 1
        raise _Refusal(f"a block of {_name_of(values)} values")

    def _check_layout(self, axes, blocks):
        """Refuse unless ``blocks`` ((values, positions) pairs) tile ``axes`` as pandas requires."""
        np = _numpy()
        for axis in axes:
            self._need(axis, "index", "a DataFrame or Series axis")
        if len(axes) == 1:  # a Series: one block, placed at every row
            rows = len(axes[0])
            if len(blocks) != 1 or len(blocks[0][0]) != rows or not np.array_equal(blocks[0][1], np.arange(rows)):
                raise _Refusal(f"a Series whose block does not hold its {rows} rows")
            return
        columns, rows = len(axes[0]), len(axes[1])
        placed = np.zeros(columns, dtype=bool)
        for values, where in blocks:
            if where.size and (where.min() < 0 or where.max() >= columns):
                raise _Refusal(f"a block placed outside the DataFrame's {columns} columns")
            if placed[where].any() or len(np.unique(where)) != len(where):
                raise _Refusal("two blocks place the same column")
            placed[where] = True
            expected = (len(where), rows) if type(values) is np.ndarray else (rows,)
            if tuple(values.shape) != expected or (type(values) is not np.ndarray and len(where) != 1):
                raise _Refusal(f"a block of shape {tuple(values.shape)} at {len(where)} columns of {rows} rows")
        if not placed.all():
            raise _Refusal("a DataFrame with columns no block holds")

    def _call_unpickle_block(self, func, *args):
        if len(args) != 3 or not _is_int(args[2]) or args[2] not in (1, 2):
            raise _Refusal(f"_unpickle_block{_brief(args)}: expected (values, placement, 1 or 2)",
                           "pandas._libs.internals._unpickle_block")
        values, placement, ndim = args
        rows, where = self._block_rows(values, ndim), self._placement(placement)
        if len(where) != rows:
            raise _Refusal(f"a block of {rows} rows placed at {len(where)} positions")
        return self._done(func(values, placement, ndim), "block")

    def _call_block_manager(self, func, *args):
        if len(args) != 2 or type(args[0]) not in (tuple, list) or type(args[1]) is not list or len(args[1]) != 2:
            raise _Refusal(f"BlockManager{_brief(args)}: expected (blocks, [columns, index])",
                           "pandas.core.internals.managers.BlockManager")
        blocks, axes = tuple(args[0]), list(args[1])
        for block in blocks:
            self._need(block, "block", "a DataFrame block")
            if block.ndim != 2:
                raise _Refusal(f"a {block.ndim}-D block in a DataFrame")
        self._check_layout(axes, [(block.values, block.mgr_locs.as_array) for block in blocks])
        return self._done(func(blocks, axes), "block manager")

    def _new_manager(self, cls):
        return self._fresh_object(cls.__new__(cls), self._set_manager)

    def _set_manager(self, manager, state):
        """pandas' "0.14.1" state: (axes, values, items, {"0.14.1": {"axes": [...], "blocks": [...]}})."""
        single = type(manager) is not _resolve("pandas.core.internals.managers:BlockManager")
        kind = "single block manager" if single else "block manager"
        inner = state[3].get("0.14.1") if (type(state) is tuple and len(state) >= 4 and type(state[3]) is dict
                                           and set(state[3]) == {"0.14.1"}) else None
        if (type(inner) is not dict or set(inner) != {"axes", "blocks"} or type(inner["axes"]) is not list
                or len(inner["axes"]) != (1 if single else 2) or type(inner["blocks"]) is not list
                or any(type(b) is not dict or set(b) != {"values", "mgr_locs"} for b in inner["blocks"])):
            shown = _brief(state if type(state) is tuple else [state])
            raise _Refusal(f"a {kind} with a state pandas does not write {shown}")
        axes, ndim = list(inner["axes"]), len(inner["axes"])
        blocks = [(b["values"], b["mgr_locs"]) for b in inner["blocks"]]
        layout = []
        for values, placement in blocks:
            rows = self._block_rows(values, ndim)
            where = self._placement(placement)
            if len(where) != rows:
                raise _Refusal(f"a block of {rows} rows placed at {len(where)} positions")
            layout.append((values, where.as_array))
        self._check_layout(axes, layout)
        clean = {"0.14.1": {"axes": axes, "blocks": [{"values": v, "mgr_locs": p} for v, p in blocks]}}
        type(manager).__setstate__(manager, (list(axes), [], [], clean))
        self._done(manager, kind)

    def _call_new_index(self, func, *args):
        np, pd = _numpy(), _pandas()
        if len(args) != 2 or type(args[1]) is not dict or any(type(k) is not str for k in args[1]):
            raise _Refusal(f"_new_Index{_brief(args)}: expected (class, dict)", "pandas.core.indexes.base._new_Index")
        cls, fields = args[0], dict(args[1])
        if cls is pd.RangeIndex:
            if not set(fields) <= {"name", "start", "stop", "step"} or not all(
                    type(fields[k]) is int or isinstance(fields[k], np.integer)
                    for k in ("start", "stop", "step") if k in fields):
                raise _Refusal(f"a RangeIndex with fields pandas does not write: {_brief(fields)}")
            fields.update({k: int(fields[k]) for k in ("start", "stop", "step") if k in fields})
        elif cls is pd.Index:
            data = fields.get("data")
            if not set(fields) <= {"data", "name"}:
                raise _Refusal(f"an Index with fields pandas does not write: {_brief(fields)}")
            if type(data) is np.ndarray:
                self._need(data, "ndarray", "an Index's data")
                if data.ndim != 1 or data.dtype.kind not in _BLOCK_KINDS:
                    raise _Refusal(f"an Index of a {data.ndim}-D {data.dtype.str} array")
            else:
                self._need(data, "string array", "an Index's data")
        else:
            raise _Refusal(f"an index of class {_name_of(cls)}; only Index and RangeIndex are read", _name_of(cls))
        if "name" in fields:
            self._label(fields["name"], "an index name")
        index = func(cls, fields)
        if type(index) is not cls:
            raise _Refusal(f"an index rebuilt as {_name_of(index)}, not {_name_of(cls)}")
        return self._done(index, "index")

    def _string_dtype_ok(self, storage, na_value) -> bool:
        pd = _pandas()
        return (type(storage) is str and storage == "python"
                and (na_value is pd.NA or (type(na_value) is float and math.isnan(na_value))))

    def _call_string_dtype(self, func, *args):
        pd = _pandas()
        storage, na_value = (args + (pd.NA,))[:2] if 1 <= len(args) <= 2 else (None, None)
        if not self._string_dtype_ok(storage, na_value):
            raise _Refusal(f"StringDtype{_brief(args)}: only storage 'python' with NA or NaN is read "
                           "(pyarrow strings are not)", "pandas.StringDtype")
        return self._done(func(*args), "string dtype")

    def _new_string_dtype(self, cls):
        return self._fresh_object(cls.__new__(cls), self._set_string_dtype)

    def _set_string_dtype(self, dtype, state):
        pd = _pandas()
        if (type(state) is not dict or not set(state) <= {"storage", "_na_value"}
                or not self._string_dtype_ok(state.get("storage", "python"), state.get("_na_value", pd.NA))):
            raise _Refusal(f"a StringDtype with a state pandas does not write ({_brief(state)})", "pandas.StringDtype")
        setstate = getattr(type(dtype), "__setstate__", None)
        if setstate is not None:
            setstate(dtype, dict(state))
        else:  # pandas < 3: the default BUILD
            dtype.__dict__.update(state)
        if dtype.storage != "python":
            raise _Refusal("a StringDtype whose storage is not 'python'", "pandas.StringDtype")
        self._done(dtype, "string dtype")

    def _call_ndarray_backed(self, func, *args):
        pd = _pandas()
        if len(args) == 3 and args[0] is pd.arrays.StringArray and _is_int(args[1]) and args[2] is None:
            return self._fresh_object(func(*args), self._set_string_array)
        raise _Refusal(f"__pyx_unpickle_NDArrayBacked{_brief(args)}: only (StringArray, checksum, None) is read",
                       "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked")

    def _set_string_array(self, array, state):
        np, pd = _numpy(), _pandas()
        values = dtype = None
        if (type(state) is tuple and len(state) in (2, 3)
                and (len(state) == 2 or (type(state[2]) is dict and not state[2]))):
            values, dtype = state[:2] if type(state[0]) is np.ndarray else state[1::-1]
        elif type(state) is dict and set(state) in ({"_ndarray", "_dtype"}, {"_data", "_dtype"}):
            values, dtype = state.get("_ndarray", state.get("_data")), state["_dtype"]
        else:
            raise _Refusal(f"a StringArray with a state pandas does not write ({_brief(state)})")
        self._need(values, "ndarray", "a StringArray's values")
        self._need(dtype, "string dtype", "a StringArray's dtype")
        if values.ndim != 1 or values.dtype != object:
            raise _Refusal(f"a StringArray of a {values.ndim}-D {values.dtype.str} array")
        na = pd.NA
        for item in values:
            if not (type(item) is str or item is None or item is na or (type(item) is float and item != item)):
                raise _Refusal(f"a StringArray holding a {_name_of(item)} object")
        type(array).__setstate__(array, dict(state) if type(state) is dict else state)
        self._done(array, "string array")


def loads(data: bytes, allow: AllowList = PANDAS, source: str = "pickle data"):
    """The object pickled in ``data``, rebuilt from the names in ``allow`` only; ``source`` names it in errors."""
    return _load(io.BytesIO(data), allow, source)


def load(path, allow: AllowList = PANDAS):
    """The object pickled in the file at ``path``, rebuilt from the names in ``allow`` only."""
    try:
        with open(path, "rb") as handle:
            return _load(handle, allow, str(path))
    except OSError as exc:
        raise RefusedPickle(f"{path}: cannot read it ({exc.strerror or exc}); check the path") from None


def _load(handle, allow: AllowList, source: str):
    if not isinstance(allow, AllowList) or not allow <= PANDAS:
        unknown = sorted(set(allow) - set(PANDAS)) if isinstance(allow, (set, frozenset)) else allow
        raise ValueError(f"allow must be harness.pickles.NUMPY, PANDAS or an AllowList of their pairs; "
                         f"no rule for {unknown}")
    unpickler = _Unpickler(handle, allow)
    try:
        obj = unpickler.load()
        if unpickler._fresh:
            left = next(iter(unpickler._fresh.values()))[0]
            raise _Refusal(f"it creates a {_name_of(left)} object but never sets its state", _name_of(left))
        return obj
    except _Refusal as exc:
        raise RefusedPickle(f"{source}: refusing to unpickle: {exc.detail}. {_ADVICE}.", exc.name) from None
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:  # a damaged file, or arguments numpy/pandas reject themselves
        raise RefusedPickle(f"{source}: not a pickle of {allow.what} that can be read "
                            f"({type(exc).__name__}: {exc}). {_ADVICE}.") from None


def read_frame(path, columns, what: str, sha256: str | None = None, md5: str | None = None):
    """The DataFrame pickled at ``path`` with its index reset; ``columns`` must be among its columns.

    When ``sha256`` or ``md5`` is given the file must have it before it is unpickled; verified or
    not, it is rebuilt by the allow-list unpickler (:data:`PANDAS`). ``what`` names the expected
    file in errors, which are ValueErrors naming the file.
    """
    if sha256 or md5:
        try:
            verify(path, sha256=sha256, md5=md5)
        except FetchError as exc:
            raise ValueError(f"{exc}; not unpickled (expected {what})") from None
    frame = load(path, PANDAS)
    pd = _pandas()
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{path}: holds a {_name_of(frame)} object, not a pandas DataFrame; expected {what}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {missing} (it has {list(frame.columns)}); expected {what}")
    return frame.reset_index(drop=True)
