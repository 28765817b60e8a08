"""The accuracy log as a submission holds it: truncated, with the full log's sha256 in accuracy.txt.

Upstream's ``truncate_accuracy_log.py`` (v4.1) appends ``hash=<sha256 of the full log>`` to
accuracy.txt, then keeps the first and the last 4096 bytes of a log of 4096 bytes or more, joined by
``\\n\\n...\\n\\n``; a shorter log stays whole. The checker then wants the ``hash=`` line and a log of at
most 10 KiB. This does the same in one pass, without touching the run directory.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import HarnessError
from ..hashing import file_digest

VIEWABLE_SIZE = 4096  # bytes kept at each end (truncate_accuracy_log.VIEWABLE_SIZE)
MAX_ACCURACY_LOG_SIZE = 10 * 1024  # the checker's limit for a truncated log
ELLIPSIS = b"\n\n...\n\n"


def truncated(log: Path) -> bytes:
    """The bytes upstream's truncation leaves of ``log`` (LoadGen's logs are ASCII, so its text-mode
    character counts are byte counts)."""
    size = log.stat().st_size
    with open(log, "rb") as f:
        if size < VIEWABLE_SIZE:
            return f.read()
        start = f.read(VIEWABLE_SIZE)
        f.seek(size - VIEWABLE_SIZE)
        return start + ELLIPSIS + f.read(VIEWABLE_SIZE)


def accuracy_text(lines: list[str], full_log_sha256: str) -> str:
    """accuracy.txt: the scorer's lines as upstream's script prints them, then the hash line."""
    return "".join(f"{line}\n" for line in lines) + f"hash={full_log_sha256}\n"


def export_accuracy_log(run_dir: Path, into: Path) -> str:
    """Write the truncated log and accuracy.txt into ``into``; returns the full log's sha256.

    The run's own accuracy.txt recorded the hash when it was scored: a log changed since then is
    refused rather than exported under a score it no longer has."""
    log = run_dir / "mlperf_log_accuracy.json"
    digest = file_digest(log, "sha256")
    recorded = [line for line in (run_dir / "accuracy.txt").read_text().splitlines() if line.startswith("hash=")]
    if recorded != [f"hash={digest}"]:
        raise HarnessError(f"{log} has sha256 {digest}, but {run_dir / 'accuracy.txt'} records "
                           f"{recorded[0] if recorded else 'no hash='}: the log changed after it was scored; "
                           "rerun or rescore it (python -m harness accuracy ...) before exporting it.")
    lines = [line for line in (run_dir / "accuracy.txt").read_text().splitlines() if not line.startswith("hash=")]
    into.mkdir(parents=True, exist_ok=True)
    (into / "mlperf_log_accuracy.json").write_bytes(truncated(log))
    (into / "accuracy.txt").write_text(accuracy_text(lines, digest))
    return digest
