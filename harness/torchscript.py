"""Read the tensors of a TorchScript archive without running any of its code.

Some upstream checkpoints are TorchScript archives (RetinaNet's ``resnext50_32x4d_fpn.pth``,
OpenAI's CLIP ``ViT-B-32.pt``): a zip holding the module tree pickled in ``<name>/data.pkl``, one file per tensor storage in ``<name>/data/<key>``,
and the model's code in ``<name>/code/`` (never read here). ``torch.jit.load`` would compile and
run that code; instead, a restricted unpickler rebuilds the module tree from plain records: it
accepts only TorchScript module classes (turned into inert attribute holders), tensor rebuilds
from the archive's own storages, and the few list/dict helpers TorchScript pickles use. Anything
else in the pickle is refused. The tree is then flattened to ``{"a.b.weight": tensor}``.

A plain state dict (``torch.save(model.state_dict())``) loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import collections
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class ScriptObject:
    """An inert stand-in for one pickled TorchScript object: its class name and attributes."""

    type_name = "?"

    def __setstate__(self, state):
        self.state = state


class _StorageType:
    """What ``torch.FloatStorage`` and friends unpickle to here: only their element type."""

    def __init__(self, name: str):
        self.dtype = STORAGE_DTYPES[name]


def _rebuild_tensor(storage: torch.Tensor, offset, size, stride, *_ignored):
    """A tensor viewing its storage at (offset, size, stride), as torch's own rebuild does."""
    return torch.as_strided(storage, tuple(size), tuple(stride), offset).clone()


def _as_list(items):
    return list(items)


def _restore_type_tag(value, _type):
    return value


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch.jit._pickle", "build_tensorlist"): _as_list,
    ("torch.jit._pickle", "build_intlist"): _as_list,
    ("torch.jit._pickle", "build_doublelist"): _as_list,
    ("torch.jit._pickle", "build_boollist"): _as_list,
    ("torch.jit._pickle", "build_genericlist"): _as_list,
    ("torch.jit._pickle", "restore_type_tag"): _restore_type_tag,
}


class _ArchiveUnpickler(pickle.Unpickler):
    def __init__(self, handle, archive: zipfile.ZipFile, prefix: str, big_endian: bool):
        super().__init__(handle)
        self.archive, self.prefix, self.big_endian = archive, prefix, big_endian
        self.classes: dict[str, type] = {}
        self.storages: dict[str, torch.Tensor] = {}

    def find_class(self, module: str, name: str):
        if module == "__torch__" or module.startswith("__torch__."):
            qualified = f"{module}.{name}"
            if qualified not in self.classes:
                self.classes[qualified] = type(name, (ScriptObject,), {"type_name": qualified})
            return self.classes[qualified]
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a model archive: only "
                                     "modules, tensors and plain containers are read")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 4 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r} in a model archive")
        storage_type, key = pid[1], str(pid[2])
        dtype = _storage_dtype(storage_type)
        if key not in self.storages:
            raw = self.archive.read(f"{self.prefix}data/{key}")
            array = np.frombuffer(raw, dtype=np.uint8).copy()
            flat = torch.from_numpy(array).view(dtype) if len(raw) else torch.empty(0, dtype=dtype)
            if self.big_endian and flat.element_size() > 1:
                flat = torch.from_numpy(flat.numpy().byteswap())
            self.storages[key] = flat
        return self.storages[key]


def _storage_dtype(storage_type) -> torch.dtype:
    if isinstance(storage_type, _StorageType):
        return storage_type.dtype
    if isinstance(storage_type, str) and storage_type in STORAGE_DTYPES:
        return STORAGE_DTYPES[storage_type]
    raise pickle.UnpicklingError(f"unknown storage type {storage_type!r} in a model archive")


def read_archive(path) -> ScriptObject:
    """The pickled module tree of a TorchScript archive (no code is compiled or run)."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
        if len(names) != 1:
            raise ValueError(f"{path} is not a TorchScript archive (no single <name>/data.pkl)")
        prefix = names[0][: -len("data.pkl")]
        order = f"{prefix}byteorder"
        big_endian = order in archive.namelist() and archive.read(order).strip() == b"big"
        with archive.open(names[0]) as handle:
            return _ArchiveUnpickler(handle, archive, prefix, big_endian).load()


def flatten(node, prefix: str = "") -> tuple[dict[str, torch.Tensor], dict[str, object]]:
    """``({dotted name: tensor}, {dotted name: int/float/bool/str})`` of a module tree."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, object] = {}
    state = node.state if isinstance(node, ScriptObject) else node
    if not isinstance(state, dict):
        return tensors, scalars
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            tensors[name] = value
        elif isinstance(value, ScriptObject):
            sub_tensors, sub_scalars = flatten(value, name + ".")
            tensors.update(sub_tensors)
            scalars.update(sub_scalars)
        elif isinstance(value, (bool, int, float, str)):
            scalars[name] = value
    return tensors, scalars


def is_archive(path) -> bool:
    """A TorchScript archive has code; a torch.save state dict has none."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in n for n in archive.namelist())


def read_weights(path) -> tuple[dict[str, torch.Tensor], dict[str, object]]:
    """Tensors (and scalar attributes, empty for a state dict) of a model file, code-free."""
    path = Path(path)
    if is_archive(path):
        return flatten(read_archive(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    return dict(state.get("model", state)), {}
