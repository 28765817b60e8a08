"""What every check shares: the exception that refuses a pickle, how it names what it refuses, and
the integer test (exactly ``int``: no bool, no subclass)."""

from __future__ import annotations


class _Refusal(Exception):
    """Raised inside the unpickler; :func:`loads` turns it into RefusedPickle naming the file."""

    def __init__(self, detail: str, name: str | None = None):
        super().__init__(detail)
        self.detail, self.name = detail, name


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

