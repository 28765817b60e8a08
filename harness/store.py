"""Finished samples survive a crash: every batch's outputs are committed to SQLite as it completes.

The store sits between the runner and the backend in accuracy runs. Re-running the same command
answers the samples already computed from the store and computes only the rest, so a run of days
that dies near the end loses at most one batch. The file name is a hash of everything that can
change an output (benchmark, artifact checksums, data type, backend, its settings), so a changed
model or setting starts a fresh store instead of mixing results. Performance runs never use it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np

VERSION = 1


CONFIG_SUFFIXES = (".json", ".txt", ".model", ".yaml", ".yml")


def folder_fingerprint(folder: Path, small: int = 1 << 20) -> str:
    """A cheap identity for an artifact folder without a declared checksum (a model directory):
    every file's relative name and size, plus the content of small configuration files (configs,
    tokenizers). Hashing hundreds of GB of weights, or 50,000 images, on every run would cost more
    than the run it protects. Records of verified checksums (``harness.verified``) do not count."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.endswith(".verified")):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder)}\0{size}\n".encode())
        if size <= small and path.suffix in CONFIG_SUFFIXES:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def store_key(benchmark: str, artifacts: dict, data_type: str, backend: str, settings: dict) -> dict:
    return {"version": VERSION, "benchmark": benchmark, "data_type": data_type, "backend": backend,
            "artifacts": {name: digests for name, digests in sorted(artifacts.items())}, "settings": settings}


def store_path(folder: Path, key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return Path(folder) / f"samples-{digest}.sqlite"


class SampleStore:
    def __init__(self, path: Path, key: dict):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a committed batch survives a crash or a kill of this process (the OS has it);
        # only a power cut may lose the last few. FULL would fsync every batch, which single-sample
        # scenarios (SingleStream, Server) pay per sample.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS outputs (idx INTEGER PRIMARY KEY, dtype TEXT, shape TEXT, data BLOB)")
        text = json.dumps(key, sort_keys=True)
        row = self.db.execute("SELECT key FROM meta").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES (?)", (text,))
        elif row[0] != text:
            raise RuntimeError(f"{path} belongs to other settings; delete it or move it away")

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]

    def indices(self) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT idx FROM outputs")}

    def get_many(self, indices) -> dict[int, np.ndarray]:
        found = {}
        for start in range(0, len(indices), 500):
            chunk = [int(i) for i in indices[start:start + 500]]
            marks = ",".join("?" * len(chunk))
            for idx, dtype, shape, data in self.db.execute(
                    f"SELECT idx, dtype, shape, data FROM outputs WHERE idx IN ({marks})", chunk):
                found[idx] = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(json.loads(shape))
        return found

    def put_many(self, indices, outputs) -> None:
        rows = []
        for idx, out in zip(indices, outputs):
            array = np.ascontiguousarray(out)
            rows.append((int(idx), array.dtype.str, json.dumps(array.shape), array.tobytes()))
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        self.db.close()


class ResumingBackend:
    """Wraps a backend: answers stored samples from the store, computes and stores the others."""

    def __init__(self, backend, store: SampleStore):
        self.backend, self.store = backend, store
        self.reused = self.computed = 0
        skip = getattr(backend, "skip_stored", None)  # a backend that plans ahead must not redo these
        if skip is not None and len(store):
            skip(store.indices())

    def predict(self, indices):
        stored = self.store.get_many(indices)
        missing = [i for i in indices if i not in stored]
        if missing:
            outputs = self.backend.predict(missing)
            self.store.put_many(missing, outputs)
            stored.update(zip(missing, (np.asarray(o) for o in outputs)))
        self.reused += len(indices) - len(missing)
        self.computed += len(missing)
        return [stored[i] for i in indices]
