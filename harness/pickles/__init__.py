"""Read a pickle without running code named by the file: pandas/numpy data only.

A pickle is a small program: it names callables (``module.name``) and the arguments to call them
with, and ``pickle.load`` / ``pandas.read_pickle`` run them. :func:`load` runs it through Python's
own pure-Python unpickler with every step that can run code replaced:

- a global is looked up only if its exact ``(module, name)`` pair is on the allow-list given
  (:data:`NUMPY` or :data:`PANDAS`; see ``rules._RULES`` for what each pair may do), else
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

The modules: ``rules`` (the allow-lists), ``unpickler`` (the opcodes), ``numpy_rules``,
``builtin_rules``, ``pandas_rules`` and ``pandas_string_rules`` (the check of each call),
``refusal`` (the exception they raise).
"""

from __future__ import annotations

import io

from ..errors import FetchError
from ..hashing import verify  # checksums: the one place this package imports them
from .refusal import _name_of, _Refusal
from .rules import NUMPY, PANDAS, AllowList, _pandas
from .rules import _RULES, _resolve  # noqa: F401 - the tests check the table through the package
from .unpickler import _Unpickler

__all__ = ["NUMPY", "PANDAS", "AllowList", "RefusedPickle", "load", "loads", "read_frame"]


class RefusedPickle(ValueError):
    """A pickle that is refused or cannot be rebuilt; ``name`` is the ``module.name`` refused, if one was."""

    def __init__(self, message: str, name: str | None = None):
        super().__init__(message)
        self.name = name


_ADVICE = ("If this is the file you meant, re-save its data as plain pandas/numpy columns; otherwise "
           "fetch it again and check it against its published checksum")


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
