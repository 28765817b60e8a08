"""The checks of builtin constructors: called only with builtin containers, numbers or strings."""

from __future__ import annotations

from .refusal import _brief, _is_int, _name_of, _Refusal


class _BuiltinRules:
    """REDUCE of slice, bytes, bytearray, the containers, complex, _codecs.encode and copyreg._reconstructor.

    Mixed into ``_Unpickler``; ``_call_reconstructor`` goes through its NEWOBJ check (``_new``).
    """

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
