"""Checksums remembered per file, so a run does not hash again the 150 GB it verified yesterday.

After a file is hashed, its digests are written beside it in ``.<name>.verified`` with the file's
size, modification time (ns), status-change time (ns), inode and device. A later check trusts the
record only while all of these are unchanged: any write to the file, or a new file in its place,
changes them and the file is hashed again. A user can set the modification time back
(``os.utime``, ``touch -d``), but not the status-change time: the kernel sets it on every write
and on every change of the times themselves. Delete the record to force a full check. A folder where the record cannot be
written (read-only data) just means hashing every time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import hashing


def record_path(path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.verified")


def _identity(path: Path) -> dict:
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino,
            "dev": st.st_dev}


def _remembered(path: Path, identity: dict) -> dict[str, str]:
    try:
        record = json.loads(record_path(path).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("file") != identity:
        return {}
    return {k: v for k, v in record.get("digests", {}).items() if isinstance(v, str)}


def _remember(path: Path, identity: dict, known: dict[str, str]) -> None:
    record, tmp = record_path(path), record_path(path).with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({"file": identity, "digests": known}, indent=1) + "\n")
        os.replace(tmp, record)
    except OSError:
        tmp.unlink(missing_ok=True)


def digests(path, algorithms) -> dict[str, str]:
    """Digests of ``path`` for ``algorithms``, from its record while that still describes the file."""
    path = Path(path)
    identity = _identity(path)
    known = _remembered(path, identity)
    missing = [a for a in algorithms if a not in known]
    if missing:
        known.update(hashing.file_digests(path, missing))
        if _identity(path) == identity:  # not written to while it was read
            _remember(path, identity, known)
    return {a: known[a] for a in algorithms}


def verify(path, *, sha256: str | None = None, md5: str | None = None, size: int | None = None,
           git_blob: str | None = None) -> None:
    """``hashing.verify`` with remembered digests."""
    hashing.verify(path, sha256=sha256, md5=md5, size=size, digests=digests, git_blob=git_blob)


def digest(path, algorithm: str) -> str:
    return digests(path, (algorithm,))[algorithm]
