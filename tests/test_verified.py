"""Remembered checksums: trusted only while the file is unchanged, never trusted over a mismatch."""

from __future__ import annotations

import hashlib
import os

import pytest

from harness import fetch, hashing, verified


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def count_hashing(monkeypatch) -> list:
    calls = []
    real = hashing.file_digests

    def counting(path, algorithms):
        calls.append(tuple(algorithms))
        return real(path, algorithms)

    monkeypatch.setattr(hashing, "file_digests", counting)
    return calls


def test_a_verified_file_is_not_hashed_again_until_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "day.npy"
    path.write_bytes(b"abc" * 1000)
    calls = count_hashing(monkeypatch)
    verified.verify(path, sha256=sha(b"abc" * 1000), size=3000)
    verified.verify(path, sha256=sha(b"abc" * 1000), size=3000)
    assert calls == [("sha256",)]
    assert verified.record_path(path).name == ".day.npy.verified"

    verified.verify(path, md5=hashlib.md5(b"abc" * 1000).hexdigest())  # a digest not yet known: hashed once
    assert calls == [("sha256",), ("md5",)]
    assert verified.digests(path, ("md5", "sha256"))["md5"] == hashlib.md5(b"abc" * 1000).hexdigest()
    assert len(calls) == 2

    path.write_bytes(b"abd" * 1000)  # same size; a new mtime (and here the same inode)
    os.utime(path, ns=(1, 1))
    with pytest.raises(fetch.FetchError, match="sha256 differs"):
        verified.verify(path, sha256=sha(b"abc" * 1000))
    assert len(calls) == 3


def test_a_replaced_file_with_the_same_size_and_time_is_hashed_again(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(b"good")
    verified.verify(path, sha256=sha(b"good"))
    stat = path.stat()
    fresh = tmp_path / "fresh"
    fresh.write_bytes(b"evil")
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(fresh, path)  # a new inode behind the same name
    with pytest.raises(fetch.FetchError, match="actual " + sha(b"evil")):
        verified.verify(path, sha256=sha(b"good"))


def test_a_remembered_mismatch_still_fails_and_sizes_are_checked_first(tmp_path):
    path = tmp_path / "labels.npy"
    path.write_bytes(b"x" * 10)
    verified.digest(path, "sha256")
    with pytest.raises(fetch.FetchError, match="sha256 differs"):
        verified.verify(path, sha256="0" * 64)
    with pytest.raises(fetch.FetchError, match="size differs: expected 11 bytes, actual 10"):
        verified.verify(path, sha256=sha(b"x" * 10), size=11)


def test_a_corrupt_or_unwritable_record_only_costs_a_hash(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"data")
    verified.record_path(path).write_text("{not json")
    verified.verify(path, sha256=sha(b"data"))
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "b.bin").write_bytes(b"data")
    folder.chmod(0o555)
    try:
        verified.verify(folder / "b.bin", sha256=sha(b"data"))
        if os.geteuid() != 0:  # root writes anyway
            assert not verified.record_path(folder / "b.bin").exists()
    finally:
        folder.chmod(0o755)


def test_bytes_flipped_with_the_mtime_set_back_are_hashed_again(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"good weights")
    verified.verify(path, sha256=sha(b"good weights"))
    before = os.stat(path)
    with path.open("r+b") as handle:  # same size, same inode
        handle.write(b"evil")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns and os.stat(path).st_size == before.st_size
    with pytest.raises(fetch.FetchError, match="actual " + sha(b"evil weights")):
        verified.verify(path, sha256=sha(b"good weights"))
