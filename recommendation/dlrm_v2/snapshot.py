"""Read (and, for fixtures, write) the reference weights: a torchsnapshot directory.

Layout (torchsnapshot 0.1.x): ``.snapshot_metadata`` (JSON, which is also YAML) holds
``{"version", "world_size", "manifest"}``; manifest keys are ``<rank>/<app key>/<state key>``.
A ``Tensor`` entry names a file (``location``, optionally a ``byte_range`` inside a batched
file), a ``serializer`` and its dtype and shape; a ``ShardedTensor`` (or ``ChunkedTensor``) entry
lists pieces with their ``offsets`` and ``sizes``, each piece a Tensor entry, e.g. the row-wise
shards ``sharded/model/model.sparse_arch....t_cat_0.weight_39194304_0``.

Reading needs neither torchrec nor torchsnapshot: pieces serialised as raw buffers
("buffer_protocol") are read straight into the destination tensor, pieces written with
torch.save are read with ``torch.load(weights_only=True)``; no code in the snapshot runs.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import torch

METADATA = ".snapshot_metadata"
CHUNK_BYTES = 256 << 20  # host buffer per read when the destination is not the file's layout
DTYPES = {"torch.float32": torch.float32, "torch.float16": torch.float16, "torch.bfloat16": torch.bfloat16,
          "torch.float64": torch.float64, "torch.int64": torch.int64, "torch.int32": torch.int32}


@dataclass(frozen=True)
class Piece:
    offsets: tuple[int, ...]
    sizes: tuple[int, ...]
    location: str
    byte_range: tuple[int, int] | None
    serializer: str
    dtype: str


@dataclass
class TensorSpec:
    shape: tuple[int, ...]
    dtype: str
    pieces: list[Piece]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * torch.empty(0, dtype=DTYPES[self.dtype]).element_size()


def _load_metadata(folder: Path) -> dict:
    path = folder / METADATA
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a torchsnapshot directory (no {METADATA})")
    text = path.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # older snapshots wrote YAML
        import yaml

        return yaml.safe_load(text)


def _piece(tensor: dict, offsets, sizes) -> Piece:
    byte_range = tensor.get("byte_range")
    return Piece(tuple(offsets), tuple(sizes), tensor["location"], tuple(byte_range) if byte_range else None,
                 tensor["serializer"], tensor["dtype"])


def state_key(manifest_key: str, app_key: str = "model") -> str | None:
    """``0/model/model.dense_arch...`` -> ``dense_arch...``; None for other app keys."""
    parts = manifest_key.split("/")
    if len(parts) != 3 or unquote(parts[1]) != app_key:
        return None
    key = unquote(parts[2])
    return key[len("model."):] if key.startswith("model.") else key


class SnapshotReader:
    def __init__(self, folder):
        self.folder = Path(folder)
        meta = _load_metadata(self.folder)
        self.specs: dict[str, TensorSpec] = {}
        for key, entry in meta["manifest"].items():
            name = state_key(key)
            kind = entry.get("type")
            if name is None or kind not in ("Tensor", "ShardedTensor", "ChunkedTensor"):
                continue  # containers, primitives, other app state
            if kind == "Tensor":
                spec = TensorSpec(tuple(entry["shape"]), entry["dtype"],
                                  [_piece(entry, [0] * len(entry["shape"]), entry["shape"])])
                self.specs.setdefault(name, spec)  # a replicated tensor: any rank's copy
                continue
            pieces = [_piece(p["tensor"], p["offsets"], p["sizes"]) for p in entry.get("shards", entry.get("chunks"))]
            spec = self.specs.setdefault(name, TensorSpec((), pieces[0].dtype, []))
            known = {p.offsets for p in spec.pieces}
            spec.pieces.extend(p for p in pieces if p.offsets not in known)  # shards saved by every rank
            ndim = len(pieces[0].sizes)
            spec.shape = tuple(entry["shape"]) if kind == "ChunkedTensor" else \
                tuple(max(p.offsets[d] + p.sizes[d] for p in spec.pieces) for d in range(ndim))
        for name, spec in self.specs.items():
            covered = sum(int(np.prod(p.sizes)) for p in spec.pieces)
            if covered != int(np.prod(spec.shape)):
                raise ValueError(f"{self.folder}: the pieces of {name} cover {covered} of "
                                 f"{int(np.prod(spec.shape))} elements; is the snapshot complete?")

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: spec.shape for name, spec in self.specs.items()}

    def read_into(self, name: str, out: torch.Tensor) -> None:
        """Fill ``out`` (any device, the entry's shape) with the tensor ``name``."""
        spec = self.specs[name]
        if tuple(out.shape) != spec.shape:
            raise ValueError(f"{name}: the snapshot holds {spec.shape}, the model expects {tuple(out.shape)}")
        for piece in spec.pieces:
            target = out[tuple(slice(o, o + s) for o, s in zip(piece.offsets, piece.sizes))]
            with torch.no_grad():
                self._read_piece(piece, target)

    def _read_piece(self, piece: Piece, target: torch.Tensor) -> None:
        path = self.folder / piece.location
        start, stop = piece.byte_range or (0, path.stat().st_size)
        with path.open("rb") as handle:
            handle.seek(start)
            if piece.serializer == "torch_save":
                value = torch.load(io.BytesIO(handle.read(stop - start)), weights_only=True, map_location="cpu")
                target.copy_(value.reshape(target.shape))
                return
            if piece.serializer != "buffer_protocol":
                raise ValueError(f"{path}: unsupported serializer {piece.serializer!r}")
            dtype = DTYPES[piece.dtype]
            expected = target.numel() * torch.empty(0, dtype=dtype).element_size()
            if expected != stop - start:
                raise ValueError(f"{path}: {stop - start} bytes for a piece of {expected} bytes")
            if target.device.type == "cpu" and target.is_contiguous() and target.dtype == dtype:
                _read_exactly(handle, target, path)  # straight into the table, no copy
                return
            # a GPU table or a strided slice: through a bounded host buffer, a block of rows at a time
            rows = max(1, CHUNK_BYTES // max(1, expected // max(1, target.shape[0])))
            for first in range(0, target.shape[0], rows):
                block = torch.empty(target[first:first + rows].shape, dtype=dtype)
                _read_exactly(handle, block, path)
                target[first:first + rows].copy_(block)


def _read_exactly(handle, out: torch.Tensor, path) -> None:
    view = memoryview(out.view(torch.uint8).numpy()).cast("B")
    got = handle.readinto(view)
    if got != len(view):
        raise ValueError(f"{path}: file ends after {got} of {len(view)} bytes")


def write(folder, state: dict[str, torch.Tensor], world_size: int = 2, sharded=lambda name: False) -> None:
    """Write ``state`` as the reference snapshot is laid out (for fixtures and tests): keys under
    ``model/model.<name>``; tensors ``sharded(name)`` row-wise over ``world_size`` ranks in
    ``sharded/``; the others replicated, batched into one file with byte ranges."""
    folder = Path(folder)
    (folder / "sharded" / "model").mkdir(parents=True, exist_ok=True)
    (folder / "batched").mkdir(parents=True, exist_ok=True)
    manifest = {"0/model": {"type": "OrderedDict", "keys": [f"model.{n}" for n in state]}}
    batch, batched = folder / "batched" / "replicated-0", bytearray()
    for name, tensor in state.items():
        tensor = tensor.detach().cpu().contiguous()
        key, dtype = f"model.{name}", f"{tensor.dtype}"
        if not sharded(name):
            raw = tensor.view(torch.uint8).numpy().tobytes()
            manifest[f"0/model/{key}"] = {
                "type": "Tensor", "location": "batched/replicated-0", "serializer": "buffer_protocol",
                "dtype": dtype, "shape": list(tensor.shape), "replicated": True,
                "byte_range": [len(batched), len(batched) + len(raw)]}
            batched += raw
            continue
        bounds = np.linspace(0, tensor.shape[0], world_size + 1).astype(int)
        for rank in range(world_size):
            lo, hi = int(bounds[rank]), int(bounds[rank + 1])
            location = f"sharded/model/{key}_{lo}_0"
            (folder / location).write_bytes(tensor[lo:hi].view(torch.uint8).numpy().tobytes())
            shard = {"offsets": [lo, 0], "sizes": [hi - lo, tensor.shape[1]], "tensor": {
                "type": "Tensor", "location": location, "serializer": "buffer_protocol", "dtype": dtype,
                "shape": [hi - lo, tensor.shape[1]], "replicated": False, "byte_range": None}}
            manifest[f"{rank}/model/{key}"] = {"type": "ShardedTensor", "shards": [shard]}
    batch.write_bytes(bytes(batched))
    metadata = {"version": "0.1.0", "world_size": world_size, "manifest": manifest}
    (folder / METADATA).write_text(json.dumps(metadata, indent=2))
