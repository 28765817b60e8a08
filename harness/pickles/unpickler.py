"""The opcode-level core: Python's own unpickler with every step that can run code replaced.

A global is looked up only through the allow-list; REDUCE, NEWOBJ and BUILD reach only the checks
its rules name (mixed in from the ``*_rules`` modules); BUILD runs once, on an object just made;
items go only into builtin containers; the opcodes numpy and pandas never write are refused.
"""

from __future__ import annotations

import _compat_pickle
import collections
import pickle

from .builtin_rules import _BuiltinRules
from .numpy_rules import _NumpyRules
from .pandas_rules import _PandasFrameRules
from .pandas_string_rules import _PandasStringRules
from .refusal import _Refusal, _name_of
from .rules import _RULES, AllowList, _resolve


class _Unpickler(_NumpyRules, _BuiltinRules, _PandasFrameRules, _PandasStringRules,
                 pickle._Unpickler):  # the Python unpickler: every opcode can be replaced
    """The opcodes that look up, call or change objects, each checked; the rule mixins check the calls."""

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
