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
import threading
from pathlib import Path

import numpy as np

from .errors import HarnessError

VERSION = 2  # 2: content identities, device type, code revision, finished flag


SAMPLE_SUFFIXES = (".jpeg", ".jpg", ".png", ".flac", ".wav", ".nii", ".gz", ".npy")


def folder_fingerprint(folder: Path) -> str:
    """The identity of an artifact folder without a declared checksum (a model directory): every
    file's relative name and size, and the sha256 of every file that is not a dataset sample (weights,
    configs, tokenizers). Digests are remembered beside each file (``harness.verified``), so a 140 GB
    checkpoint is hashed once per change, not once per run; a folder of 50,000 images is identified
    by names and sizes (its archive carries the checksum)."""
    from . import verified

    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(f"{path.relative_to(folder)}\0{path.stat().st_size}\n".encode())
        if path.suffix.lower() not in SAMPLE_SUFFIXES:
            digest.update(verified.digest(path, "sha256").encode())
    return digest.hexdigest()


def artifact_identity(resolved) -> dict:
    """What a resolved artifact is, by content: its verified digests, else its content hashed now."""
    from . import verified

    if resolved.digests.get("sha256"):
        return dict(resolved.digests)
    path = Path(resolved.path)
    if path.is_dir():
        return {"folder": folder_fingerprint(path)}
    return {**resolved.digests, "sha256": verified.digest(path, "sha256")}


def code_revision(paths) -> str:
    """sha256 over the given Python files and folders (their ``*.py``): the code that makes the outputs."""
    digest = hashlib.sha256()
    files = sorted({f for p in map(Path, paths) for f in ([p] if p.is_file() else p.rglob("*.py"))})
    for path in files:
        digest.update(f"{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def store_key(benchmark: str, artifacts: dict, data_type: str, backend: str, settings: dict,
              device: str = "", code: str = "") -> dict:
    return {"version": VERSION, "benchmark": benchmark, "data_type": data_type, "backend": backend,
            "artifacts": {name: digests for name, digests in sorted(artifacts.items())}, "settings": settings,
            "device": device, "code": code}


def store_path(folder: Path, key: dict, part: range | None = None) -> Path:
    """The store of ``key``; a shard's slice ``part`` of the samples has a file of its own. Then its
    finished mark is its own (a sibling shard that finished must not make a retried shard start
    over), and shards on several machines never write one file at once (SQLite's WAL needs every
    writer of a file on one host; a retry on another node opens it after the first writer died)."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return Path(folder) / (f"samples-{digest}.sqlite" if part is None else
                           f"samples-{digest}-slice{part.start}-{part.stop}.sqlite")


class StoreError(HarnessError):
    pass


class SampleStore:
    def __init__(self, path: Path, key: dict):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self._open(key)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the resume store {path} cannot be read ({exc}); run with RESUME=0 to compute "
                             "every sample without it, or delete the file to start a new one") from None

    def _open(self, key: dict) -> None:
        path = self.path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a committed batch survives a crash or a kill of this process (the OS has it);
        # only a power cut may lose the last few. FULL would fsync every batch, which single-sample
        # scenarios (SingleStream, Server) pay per sample.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT NOT NULL, finished INTEGER NOT NULL DEFAULT 0)")
        self.db.execute("CREATE TABLE IF NOT EXISTS outputs (idx INTEGER PRIMARY KEY, dtype TEXT, shape TEXT, data BLOB)")
        text = json.dumps(key, sort_keys=True)
        row = self.db.execute("SELECT key FROM meta").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta (key) VALUES (?)", (text,))
        elif row[0] != text:
            raise StoreError(f"the resume store {path} belongs to other settings; delete it or move it away")

    @property
    def finished(self) -> bool:
        """Whether the last run that used this store ran to its end (then its samples are in its log)."""
        return bool(self.db.execute("SELECT finished FROM meta").fetchone()[0])

    def mark(self, finished: bool) -> None:
        self.db.execute("UPDATE meta SET finished = ?", (int(finished),))

    def clear(self) -> None:
        self.db.execute("DELETE FROM outputs")

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
        self.lock = threading.Lock()  # submit's lookups (worker thread) and stores (the backend's thread)
        if len(store):  # a backend that plans ahead must not compute these again
            backend.skip_stored(store.indices())

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

    @property
    def continuous(self) -> bool:
        return self.backend.continuous

    def cancel(self) -> None:
        self.backend.cancel()

    def submit(self, indices, first_token, done) -> None:
        """``Backend.submit`` through the store: stored samples are done at once; the others are
        stored as the backend finishes each (from its one thread; the store allows that thread)."""
        indices = list(indices)
        with self.lock:
            stored = self.store.get_many(indices)
        missing = [p for p, i in enumerate(indices) if i not in stored]
        for position in (p for p, i in enumerate(indices) if i in stored):
            self.reused += 1
            done(position, stored[indices[position]])
        if not missing:
            return

        def stored_done(k: int, output) -> None:
            if not isinstance(output, BaseException):
                try:
                    with self.lock:
                        self.store.put_many([indices[missing[k]]], [output])
                    self.computed += 1
                except Exception as exc:  # noqa: BLE001 - e.g. a full disk: the sample fails, the run reports it
                    output = exc
            done(missing[k], output)

        self.backend.submit([indices[p] for p in missing], lambda k, tokens: first_token(missing[k], tokens),
                            stored_done)
