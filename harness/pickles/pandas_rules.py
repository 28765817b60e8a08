"""The checks of pandas' frames, Series, block managers, blocks and indexes.

pandas trusts a frame's block layout: a block placed past the last column writes out of bounds.
So every block and index must be made here, and the blocks must place each column exactly once
with as many rows as the index; a frame's state may hold only the keys pandas writes.
"""

from __future__ import annotations

from .refusal import _brief, _is_int, _name_of, _Refusal
from .rules import _numpy, _pandas, _resolve

_BLOCK_KINDS = "biufcO"  # numpy kinds a pandas block (or Index) may hold here: no datetimes, bytes, str


class _PandasFrameRules:
    """NEWOBJ/BUILD of DataFrame, Series and the block managers; REDUCE of blocks, BlockManager, _new_Index.

    Mixed into ``_Unpickler``, whose ``_need`` / ``_fresh_object`` / ``_done`` track which objects
    were made here and are complete.
    """

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
