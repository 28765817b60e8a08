"""The checks of pandas' "string" extension columns: storage "python" arrays of str and missing values."""

from __future__ import annotations

import math

from .refusal import _brief, _is_int, _name_of, _Refusal
from .rules import _numpy, _pandas


class _PandasStringRules:
    """REDUCE/NEWOBJ/BUILD of StringDtype and of StringArray (through Cython's pickle helper).

    Mixed into ``_Unpickler``, whose ``_need`` / ``_fresh_object`` / ``_done`` track which objects
    were made here and are complete.
    """

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
