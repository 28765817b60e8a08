"""Run directories: created once, never reused, written atomically."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create(log_dir: str, name: str, scenario: str, data_type: str) -> Path:
    """``<log_dir>/<name>/<Scenario>/<data_type>/<UTC timestamp>-<id>/``; a clash is impossible
    in practice and an error if it happens (mkdir without exist_ok)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(log_dir) / name / scenario / data_type / f"{stamp}-{secrets.token_hex(3)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so readers see all or nothing."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


class _Tee:
    def __init__(self, stream, sink):
        self.stream, self.sink = stream, sink

    def write(self, text):
        self.stream.write(text)
        self.sink.write(text)
        return len(text)

    def flush(self):
        self.stream.flush()
        self.sink.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def terminal_and_log(stream) -> tuple:
    """``(the stream underneath, console.log's file)`` of a stream that ``console_log`` tees, else
    ``(stream, None)``: a redrawing progress line goes to the terminal alone, console.log gets plain lines."""
    if isinstance(stream, _Tee):
        return stream.stream, stream.sink
    return stream, None


@contextlib.contextmanager
def console_log(path: Path):
    """Copy everything printed (stdout and stderr) into ``path`` while the block runs."""
    with path.open("a", buffering=1) as sink:
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(out, sink), _Tee(err, sink)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = out, err
