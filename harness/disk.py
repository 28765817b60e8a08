"""A full disk is a message, never a half-written run.

Each run directory holds a small reserve file from its start. When the disk fills up (LoadGen's
logs, the resume store, a scorer's output), the reserve is given back first, so that the run's
result.json can still be written, marked failed, with what to do. SQLite keeps the resume store
consistent (a batch is committed whole or not at all), so the same command resumes once there is
space again.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

RESERVE = ".space_reserve"
RESERVE_BYTES = 1 << 20  # result.json and console.log's last lines need far less
LOW_WATER = 64 << 10  # free bytes below which LoadGen's logs may be cut short


def reserve(run_dir: Path) -> None:
    """Hold RESERVE_BYTES of real blocks in ``run_dir`` (fallocate, not a sparse file)."""
    fd = os.open(run_dir / RESERVE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.posix_fallocate(fd, 0, RESERVE_BYTES)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise
        os.write(fd, b"\0" * RESERVE_BYTES)  # a file system without fallocate
    finally:
        os.close(fd)


def release(run_dir: Path) -> None:
    (run_dir / RESERVE).unlink(missing_ok=True)


def is_full(exc: BaseException) -> bool:
    """An error that means the disk (or the user's quota) is full, or was caused by one."""
    if exc.__cause__ is not None and is_full(exc.__cause__):
        return True
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc)  # SQLITE_FULL: "database or disk is full"
    return False


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def advice(path: Path) -> str:
    """What to tell a user whose disk filled up while writing under ``path``."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    try:
        free = f"{free_bytes(existing):,} bytes free" if existing else "free space unknown"
    except OSError:
        free = "free space unknown"
    return (f"no space left on the disk that holds {path} ({free}): free some space there, or set LOG_DIR to a "
            "folder on a larger disk, then run the same command again (finished samples are kept in the resume "
            "store under LOG_DIR and are reused)")


def check_logs_complete(run_dir: Path) -> None:
    """LoadGen writes its logs without reporting a failed write: when the disk is (nearly) full after
    its test, its logs may be cut short, and scoring them would misreport a truncated log."""
    if free_bytes(run_dir) < LOW_WATER:
        raise OSError(errno.ENOSPC, "the disk filled up while LoadGen wrote its logs", str(run_dir))
