"""Checksums of files: sha256, md5 and git blob ids in one pass, and verification against them."""

from __future__ import annotations

import hashlib
import os

from .errors import FetchError

BLOCK = 1 << 20  # bytes per read, for hashing and for the network

ALGORITHMS = ("sha256", "md5", "git_blob")


def file_digests(path, algorithms) -> dict[str, str]:
    """Hex digests of the file at ``path`` for each of ``algorithms``, in one pass: 'sha256', 'md5',
    or 'git_blob' (the id git gives the content: sha1 of ``blob <size>\\0`` + the bytes, the only
    checksum some upstream files have)."""
    bad = [a for a in algorithms if a not in ALGORITHMS]
    if bad:
        raise ValueError(f"unsupported digest algorithm {bad[0]!r}; use one of {', '.join(ALGORITHMS)}")
    hashers = {name: hashlib.new("sha1" if name == "git_blob" else name) for name in algorithms}
    if "git_blob" in hashers:
        hashers["git_blob"].update(f"blob {os.path.getsize(path)}\0".encode())
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            for h in hashers.values():
                h.update(block)
    return {name: h.hexdigest() for name, h in hashers.items()}


def file_digest(path, algorithm: str) -> str:
    """Hex digest of the file at ``path``, read in 1 MiB blocks; ``algorithm`` is 'sha256' or 'md5'."""
    return file_digests(path, (algorithm,))[algorithm]


def mismatch(path, sha256, md5, size, digests=file_digests, git_blob=None) -> str | None:
    """Describe the first way ``path`` differs from what is expected, or None if it matches."""
    actual_size = os.path.getsize(path)
    if size is not None and actual_size != int(size):
        return f"size differs: expected {int(size)} bytes, actual {actual_size} bytes"
    wanted = {name: value.strip().lower()
              for name, value in (("sha256", sha256), ("md5", md5), ("git_blob", git_blob)) if value}
    if not wanted:
        return None
    actual = digests(path, tuple(wanted))
    for name, expected in wanted.items():
        if actual[name] != expected:
            return f"{name} differs: expected {expected}, actual {actual[name]}"
    return None


def verify(path, *, sha256: str | None = None, md5: str | None = None, size: int | None = None,
           digests=file_digests, git_blob: str | None = None) -> None:
    """Raise FetchError naming the file, the expected and the actual value if ``path`` does not match.

    The size is checked first (cheap); then every digest given, in one pass over the file.
    ``digests`` computes them (``harness.verified.digests`` reuses a remembered result).
    """
    if not os.path.isfile(path):
        raise FetchError(f"{path}: file not found, cannot verify it")
    problem = mismatch(path, sha256, md5, size, digests, git_blob)
    if problem:
        raise FetchError(f"{path}: {problem}")
