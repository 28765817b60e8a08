"""harness.pickles: pandas/numpy pickles load as pandas reads them; nothing else runs or loads.

``tests/data/pickles/*.pkl`` were written by :func:`write_fixtures` below under older libraries,
each in a scratch venv, from the repository root::

    python3 -m venv /tmp/pd15 && /tmp/pd15/bin/pip install pandas==1.5.3 numpy==1.23.5 pytest
    PYTHONPATH=. /tmp/pd15/bin/python tests/test_pickles.py tests/data/pickles

(likewise pandas 2.0.3/numpy 1.24.4, 2.2.3/1.26.4 and 2.2.3/2.0.2).
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness import pickles
from harness.pickles import read_frame

FIXTURES = Path(__file__).parent / "data" / "pickles"
WRITERS = ("pandas1.5.3-numpy1.23.5", "pandas2.0.3-numpy1.24.4", "pandas2.2.3-numpy1.26.4",
           "pandas2.2.3-numpy2.0.2")
KINDS = ("frame-p2", "frame-p3", "frame-p4", "frame-p5", "strings-p5", "series-p4")
COLUMNS = ("tok_input", "output", "dataset", "id", "score")


def sample_frame():
    """Like the LLM dataset pickles: token ids as lists and as int64 arrays, text, ints, a NaN, a
    non-default index."""
    return pd.DataFrame({
        "tok_input": [[1, 2, 3], np.array([4, 5, 32000], dtype=np.int64), [7], np.array([], dtype=np.int64)],
        "output": ["a", "bé ✓", "", "long " * 20],
        "dataset": ["OpenOrca", "GSM8K", "MBXP", "OpenOrca"],
        "id": np.array([10, 11, 12, 13], dtype=np.int64),
        "score": [1.5, np.nan, -2.0, 0.0],
    }, index=pd.Index([7, 3, 99, 1], dtype=np.int64))


def string_frame():
    """A "string" extension column with a missing value, on a default RangeIndex."""
    frame = sample_frame().reset_index(drop=True)
    frame["s"] = pd.array(["x", None, "z", "w"], dtype="string")
    return frame


def write_fixtures(folder) -> None:
    """The fixture files, named after the pandas and numpy versions writing them."""
    tag = f"pandas{pd.__version__}-numpy{np.__version__}"
    for protocol in (2, 3, 4, 5):
        sample_frame().to_pickle(Path(folder) / f"{tag}-frame-p{protocol}.pkl", protocol=protocol)
    string_frame().to_pickle(Path(folder) / f"{tag}-strings-p5.pkl", protocol=5)
    string_frame()["output"].to_pickle(Path(folder) / f"{tag}-series-p4.pkl", protocol=4)


def pandas_reads(path):
    with warnings.catch_warnings():  # numpy 2 warns of numpy 1's module names
        warnings.simplefilter("ignore", DeprecationWarning)
        return pd.read_pickle(path)


def assert_same(ours, theirs):
    if isinstance(theirs, pd.DataFrame):
        pd.testing.assert_frame_equal(ours, theirs)
        if "tok_input" in theirs:
            for mine, reference in zip(ours["tok_input"], theirs["tok_input"]):
                assert type(mine) is type(reference) and np.array_equal(mine, reference)
    else:
        pd.testing.assert_series_equal(ours, theirs)


def check_sample_values(frame):
    """The values of sample_frame, whichever pandas wrote them."""
    assert [np.asarray(ids).tolist() for ids in frame["tok_input"]] == [[1, 2, 3], [4, 5, 32000], [7], []]
    assert [type(ids) for ids in frame["tok_input"]] == [list, np.ndarray, list, np.ndarray]
    assert frame["output"].tolist() == ["a", "bé ✓", "", "long " * 20]
    assert frame["id"].tolist() == [10, 11, 12, 13]


# -- what pandas writes loads as pandas reads it --------------------------------------------------

@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_frames_written_by_this_pandas_load_as_pandas_reads_them(tmp_path, protocol):
    path = tmp_path / "frame.pkl"
    sample_frame().to_pickle(path, protocol=protocol)
    frame = pickles.load(path)
    assert_same(frame, pandas_reads(path))
    check_sample_values(frame)
    assert frame.index.tolist() == [7, 3, 99, 1]


@pytest.mark.parametrize("make", [string_frame, lambda: string_frame()["s"], lambda: sample_frame()["tok_input"],
                                  lambda: pd.DataFrame({"a": [1, 2]}), lambda: pd.DataFrame(),
                                  lambda: pd.DataFrame({"x": [None, np.int64(3), 2.5, "t", [1, None]],
                                                        "b": [True, False, True, True, False]},
                                                       index=pd.Index(["p", "q", "r", "s", "t"], name="key"))])
@pytest.mark.parametrize("protocol", [2, 5])
def test_other_frames_and_series(tmp_path, make, protocol):
    path = tmp_path / "data.pkl"
    make().to_pickle(path, protocol=protocol)
    assert_same(pickles.load(path), pandas_reads(path))


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("kind", KINDS)
def test_pickles_from_older_pandas_and_numpy(writer, kind):
    path = FIXTURES / f"{writer}-{kind}.pkl"
    ours = pickles.load(path)
    assert_same(ours, pandas_reads(path))
    if kind.startswith("frame"):
        check_sample_values(ours)
        assert ours.index.tolist() == [7, 3, 99, 1]


def test_the_fixtures_are_all_there_and_small():
    files = sorted(FIXTURES.glob("*.pkl"))
    assert {f.name for f in files} == {f"{w}-{k}.pkl" for w in WRITERS for k in KINDS}
    assert sum(f.stat().st_size for f in files) < 50_000


class NewObj:
    """Pickles as NEWOBJ of ``cls`` then BUILD of ``state``: how pandas < 1.3 wrote a BlockManager."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    @property
    def __class__(self):  # the pickler checks that __newobj__'s class is the object's
        return self.cls

    def __reduce_ex__(self, protocol):
        return copyreg.__newobj__, (self.cls,), self.state


def legacy_frame(frame, locs=None):
    """``frame`` pickled with its BlockManager in the "0.14.1" state format (NEWOBJ + BUILD)."""
    from pandas.core.internals.managers import BlockManager

    mgr = frame._mgr
    blocks = [{"values": b.values, "mgr_locs": b.mgr_locs.indexer if locs is None else locs} for b in mgr.blocks]
    state = (list(mgr.axes), [b.values for b in mgr.blocks], [], {"0.14.1": {"axes": list(mgr.axes),
                                                                             "blocks": blocks}})
    return pickle.dumps(NewObj(pd.DataFrame, {**frame.__getstate__(), "_mgr": NewObj(BlockManager, state)}),
                        protocol=4)


def test_the_old_block_manager_state_format_loads_as_pandas_reads_it():
    data = legacy_frame(sample_frame())
    assert_same(pickles.loads(data), pickle.loads(data))


def test_numpy_only_mode_reads_arrays_and_refuses_pandas():
    from vision.unet3d import safe_pickle  # numpy 1's names, as the reference's pickles have them

    value = {"a": np.arange(6, dtype="<f4").reshape(2, 3), "b": [np.int64(3), np.float32(1.5), "s", None],
             "c": (np.zeros((2, 2), dtype=">i2"), np.array(["x", "yz"]), np.array([b"q"]), 1 + 2j),
             "d": np.array([1, 2], dtype="M8[ns]"), "e": {1, 2}, "f": frozenset({3}), "g": bytearray(b"ab")}
    for data in [safe_pickle.dumps(value)] + [pickle.dumps(value, protocol=p) for p in range(6)]:
        loaded = pickles.loads(data, allow=pickles.NUMPY)
        with warnings.catch_warnings():  # numpy 2 warns of numpy 1's module names
            warnings.simplefilter("ignore", DeprecationWarning)
            reference = pickle.loads(data)  # trusted: the test wrote it
        assert loaded.keys() == value.keys()
        for key in ("a", "d"):
            assert loaded[key].dtype == reference[key].dtype
            np.testing.assert_array_equal(loaded[key], value[key])
        for mine, theirs in zip(loaded["c"][:3], reference["c"][:3]):
            assert mine.dtype == theirs.dtype and mine.tolist() == theirs.tolist()
        assert loaded["c"][0].tolist() == [[0, 0], [0, 0]] and loaded["c"][3] == 1 + 2j
        assert loaded["b"] == value["b"] and [type(v) for v in loaded["b"]] == [type(v) for v in value["b"]]
        assert (loaded["e"], loaded["f"], loaded["g"]) == ({1, 2}, frozenset({3}), bytearray(b"ab"))
    with pytest.raises(pickles.RefusedPickle, match="pandas.DataFrame") as info:
        pickles.loads(pickle.dumps(pd.DataFrame({"a": [1]})), allow=pickles.NUMPY, source="frame.pkl")
    assert info.value.name == "pandas.DataFrame" and "frame.pkl" in str(info.value)


def test_allow_lists_are_exact_names_with_one_rule_per_object():
    assert pickles.NUMPY < pickles.PANDAS
    by_object = {}
    for module, name in pickles.PANDAS:
        rule = pickles._RULES[module, name]
        obj = pickles._resolve(rule.target)
        assert by_object.setdefault(id(obj), (rule.call, rule.new)) == (rule.call, rule.new), (module, name)
    no_scalars = pickles.AllowList(pickles.NUMPY - {("numpy._core.multiarray", "scalar")}, "arrays")
    with pytest.raises(pickles.RefusedPickle, match="numpy._core.multiarray.scalar"):
        pickles.loads(pickle.dumps(np.int64(1)), allow=no_scalars)
    with pytest.raises(ValueError, match="no rule"):
        pickles.loads(pickle.dumps(1), allow=frozenset({("os", "system")}))


# -- read_frame and the LLM datasets' reader ------------------------------------------------------

def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_read_frame_resets_the_index_and_checks_columns(tmp_path):
    path = tmp_path / "data.pkl"
    sample_frame().to_pickle(path)
    frame = pickles.read_frame(path, COLUMNS, "the sample pickle", sha256=sha256(path))
    assert frame.index.tolist() == [0, 1, 2, 3]
    check_sample_values(frame)
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    assert pickles.read_frame(path, ("output",), "the sample pickle", md5=md5)["output"].tolist()[0] == "a"
    with pytest.raises(ValueError, match=r"no column\(s\) \['gt_output'\].*expected the sample pickle"):
        pickles.read_frame(path, ("output", "gt_output"), "the sample pickle")
    sample_frame()["output"].to_pickle(path)
    with pytest.raises(ValueError, match="not a pandas DataFrame; expected the sample pickle"):
        pickles.read_frame(path, ("output",), "the sample pickle")
    path.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="data.pkl: not a pickle of pandas/numpy data"):
        pickles.read_frame(path, ("output",), "the sample pickle")
    with pytest.raises(ValueError, match="missing.pkl: cannot read it"):
        pickles.read_frame(tmp_path / "missing.pkl", ("output",), "the sample pickle")


def test_the_llm_reader_needs_no_checksum_but_checks_one_given(tmp_path):
    path = tmp_path / "open_orca.pkl"
    sample_frame().to_pickle(path)
    assert read_frame(path, ("tok_input", "output"), "the OpenOrca pickle")["id"].tolist() == [10, 11, 12, 13]
    assert len(read_frame(path, ("output",), "the OpenOrca pickle", sha256=sha256(path))) == 4
    with pytest.raises(ValueError, match="sha256 differs.*not unpickled"):
        read_frame(path, ("output",), "the OpenOrca pickle", sha256="0" * 64)


# -- what could run code is refused, and does not run ---------------------------------------------

class Reduce:
    """Pickles as ``func(*args)`` (then BUILD of ``state`` if given), whatever ``func`` is."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


def call_global(module: str, name: str, *args) -> bytes:
    """A protocol 2 pickle calling ``module.name(*args)``, whatever its name resolves to."""
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + pickle.dumps(args, protocol=2)[2:-1] + b"R."


def touch(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


def attacks(marker: Path) -> dict[str, tuple[object, str]]:
    """name -> (object whose pickle would create ``marker`` if it ran, the name refused)."""
    import numpy.testing._private.utils as np_testing

    evil = marker.parent / "evil.pkl"
    evil.write_bytes(pickle.dumps(Reduce(exec, (touch(marker),))))
    return {
        "os.system": (Reduce(os.system, (f"touch {marker}",)), f"{os.system.__module__}.system"),
        "builtins.eval": (Reduce(eval, (touch(marker),)), "builtins.eval"),
        "subprocess.Popen": (Reduce(subprocess.Popen, (["touch", str(marker)],)), "subprocess.Popen"),
        "numpy runstring": (Reduce(np_testing.runstring, (touch(marker), {})),
                            "numpy.testing._private.utils.runstring"),
        "pandas.read_pickle": (Reduce(pd.read_pickle, (str(evil),)), f"{pd.read_pickle.__module__}.read_pickle"),
        "partial of an allowed class": (functools.partial(pd.DataFrame, Reduce(eval, (touch(marker),))),
                                        "functools.partial"),
        "in a DataFrame column": (pd.DataFrame({"tok_input": [[1], Reduce(os.system, (f"touch {marker}",))]}),
                                  f"{os.system.__module__}.system"),
        "in a list in a column": (pd.DataFrame({"a": [[1, [Reduce(eval, (touch(marker),))]]]}), "builtins.eval"),
    }


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("attack", ["os.system", "builtins.eval", "subprocess.Popen", "numpy runstring",
                                    "pandas.read_pickle", "partial of an allowed class", "in a DataFrame column",
                                    "in a list in a column"])
def test_pickles_that_would_run_code_are_refused_and_nothing_runs(tmp_path, attack, protocol):
    marker = tmp_path / "pwned"
    obj, refused = attacks(marker)[attack]
    path = tmp_path / "data.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    with pytest.raises(pickles.RefusedPickle, match="refusing to unpickle") as info:
        pickles.load(path)
    assert info.value.name == refused and refused in str(info.value) and str(path) in str(info.value)
    with pytest.raises(ValueError, match=refused.replace(".", r"\.")):  # verified or not
        pickles.read_frame(path, ("tok_input",), "the dataset", sha256=sha256(path))
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [
    ("numpy", "load"), ("numpy", "fromfile"), ("numpy.core.multiarray", "frombuffer"), ("numpy.lib.npyio", "load"),
    ("numpy.testing", "assert_"), ("numpy", "ndarray.tofile"), ("numpy.core.multiarray", "_reconstruct.__call__"),
    ("pandas", "read_csv"), ("pandas", "eval"), ("pandas.io.parsers.readers", "read_csv"), ("pandas", "read_pickle"),
    ("pandas", "DataFrame.to_pickle"), ("pandas.core.computation.eval", "eval"),
    ("pandas.core.frame", "DataFrame.eval"),
    ("builtins", "getattr"), ("builtins", "__import__"), ("builtins", "exec"), ("builtins", "open"),
    ("operator", "attrgetter"), ("operator", "methodcaller"), ("functools", "partial"), ("functools", "reduce"),
    ("copyreg", "__newobj__"), ("importlib", "import_module"), ("pickle", "loads"), ("os", "system"),
])
def test_only_exact_names_on_the_list_are_looked_up(tmp_path, module, name):
    marker = tmp_path / "pwned"
    with pytest.raises(pickles.RefusedPickle, match="refusing to unpickle: it names") as info:
        pickles.loads(call_global(module, name, str(marker)), source="bad.pkl")
    assert info.value.name == f"{module}.{name}" and "bad.pkl" in str(info.value)
    assert not marker.exists()


def test_a_wrong_checksum_is_refused_before_unpickling(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    path = tmp_path / "data.pkl"
    path.write_bytes(pickle.dumps(Reduce(eval, (touch(marker),))))
    monkeypatch.setattr(pickles, "_Unpickler", None)  # any attempt to unpickle would fail differently
    with pytest.raises(ValueError, match=r"sha256 differs.*not unpickled") as info:
        pickles.read_frame(path, ("output",), "the dataset", sha256="0" * 64)
    assert "refusing" not in str(info.value)
    with pytest.raises(ValueError, match=r"md5 differs.*not unpickled"):
        pickles.read_frame(path, ("output",), "the dataset", md5="0" * 32)
    assert not marker.exists()


# -- allowed names with forged arguments: what numpy and pandas would trust is checked ------------

def forged(kind: str) -> bytes:
    from numpy._core.multiarray import _reconstruct
    from pandas._libs.internals import _unpickle_block
    from pandas.core.internals.managers import BlockManager

    def array(state):
        return Reduce(_reconstruct, (np.ndarray, (0,), b"b"), state)

    if kind == "object dtype without its flags":  # numpy would read b"AAAAAAAA" as a pointer
        dtype = Reduce(np.dtype, ("O8", False, True), (3, "|", None, None, None, -1, -1, 0))
        obj = array((1, (1,), dtype, False, b"A" * 8))
    elif kind == "object array list shorter than its shape":  # numpy reads past the list
        obj = array((1, (10,), np.dtype("O"), False, [1, 2]))
    elif kind == "bytes shorter than the shape":
        obj = array((1, (10,), np.dtype("i8"), False, b"\0" * 8))
    elif kind == "structured dtype":
        obj = np.zeros(2, dtype=[("a", "i4"), ("b", "O")])
    elif kind == "dtype used before its state is set":  # then made 4096 bytes wide under the array
        dtype_state = pickle.dumps((3, "|", None, None, None, 4096, 1, 0), protocol=2)[2:-1]
        return (b"\x80\x02cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
                b"(K\x01K\x01\x85cnumpy\ndtype\nX\x02\x00\x00\x00S8\x89\x88\x87Rqc\x89C\x08" + b"\0" * 8 + b"tb"
                b"hc" + dtype_state + b"b0.")
    elif kind == "block placed past the last column":  # pandas would write out of bounds
        block = _unpickle_block(np.zeros((2, 3)), np.array([0, 10**7], dtype=np.intp), 2)
        obj = BlockManager((block,), [pd.Index(["a", "b"]), pd.RangeIndex(3)], verify_integrity=False)
    elif kind == "two blocks at one column":
        blocks = tuple(_unpickle_block(np.zeros((1, 3)), slice(0, 1), 2) for _ in range(2))
        obj = BlockManager(blocks, [pd.Index(["a", "b"]), pd.RangeIndex(3)], verify_integrity=False)
    elif kind == "block rows not the index's":
        block = _unpickle_block(np.zeros((2, 3)), slice(0, 2), 2)
        obj = BlockManager((block,), [pd.Index(["a", "b"]), pd.RangeIndex(300)], verify_integrity=False)
    elif kind == "old-format block placed past the last column":
        return legacy_frame(pd.DataFrame({"a": [1.0], "b": [2.0]}), locs=np.array([0, 10**7], dtype=np.intp))
    elif kind == "frame state with a method's name":  # would shadow frame.reset_index
        frame = pd.DataFrame({"a": [1]})
        obj = NewObj(pd.DataFrame, {**frame.__getstate__(), "reset_index": np.int64(0)})
    elif kind == "string array holding an int":
        strings = pd.array(["a", "b"], dtype="string")
        strings._ndarray[0] = 5
        obj = strings
    elif kind == "calling numpy.ndarray":
        return call_global("numpy", "ndarray", (3,), "f8")
    elif kind == "creating an Index empty":
        return b"\x80\x02cpandas\nIndex\n)\x81."
    elif kind == "state set twice":
        return pickle.dumps(np.arange(3), protocol=2)[:-1] + pickle.dumps((1, (1,), np.dtype("i8"), False, b"\0" * 8),
                                                                          protocol=2)[2:-1] + b"b."
    elif kind == "item set on a DataFrame":
        return pickle.dumps(pd.DataFrame({"a": [1]}), protocol=2)[:-1] + b"X\x01\x00\x00\x00bK\x01s."
    elif kind == "items added to an array":
        return pickle.dumps(np.arange(3), protocol=2)[:-1] + b"(K\x01e."
    elif kind == "extension code":
        return b"\x80\x02\x82\x01."
    elif kind == "dtype never built":
        return b"\x80\x02cnumpy\ndtype\nX\x02\x00\x00\x00i8\x89\x88\x87R."
    else:
        raise AssertionError(kind)
    return pickle.dumps(obj, protocol=4)


@pytest.mark.parametrize("kind", [
    "object dtype without its flags", "object array list shorter than its shape", "bytes shorter than the shape",
    "structured dtype", "dtype used before its state is set", "block placed past the last column",
    "two blocks at one column",
    "block rows not the index's", "old-format block placed past the last column", "frame state with a method's name",
    "string array holding an int", "calling numpy.ndarray", "creating an Index empty", "state set twice",
    "item set on a DataFrame", "items added to an array", "extension code", "dtype never built",
])
def test_forged_arguments_to_allowed_names_are_refused(kind):
    with pytest.raises(pickles.RefusedPickle, match="forged.pkl: refusing to unpickle"):
        pickles.loads(forged(kind), source="forged.pkl")


UNET3D_LOADS = """
import sys
from harness.pickles import RefusedPickle
from vision.unet3d import safe_pickle
try:
    print(repr(safe_pickle.loads(sys.stdin.buffer.read())))  # repr reads the array, as a caller would
except RefusedPickle as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.parametrize("kind", ["object dtype without its flags", "object array list shorter than its shape"])
def test_the_unet3d_loader_refuses_what_would_crash_numpy(kind):
    # In a subprocess: a loader without the core's checks segfaults here, a failure rather than a dead pytest.
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", UNET3D_LOADS], input=forged(kind), capture_output=True, cwd=root,
                          timeout=120)
    assert done.returncode == 3, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    assert b"refusing to unpickle: a numpy |O array" in done.stdout


if __name__ == "__main__":  # see the module docstring
    write_fixtures(sys.argv[1])
