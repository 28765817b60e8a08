"""harness.fetch against a real local HTTP server: resume, retries, verification, offline mode."""

from __future__ import annotations

import hashlib
import io
import random

import pytest

from harness import fetch
from harness.fetch import FetchError, OfflineError, download
from harness.hashing import file_digest, verify
from http_fixture import serve

SIZE = 300_000
DATA = random.Random(1234).randbytes(SIZE)
OTHER = random.Random(5678).randbytes(SIZE)
SHA256 = hashlib.sha256(DATA).hexdigest()
MD5 = hashlib.md5(DATA).hexdigest()
FILES = {"model.bin": DATA}


def fast(**kw):
    """Keyword arguments for download() that keep tests quick and quiet."""
    return {"backoff": 0.001, "progress": False, "timeout": 10, **kw}


def part_of(dest):
    return dest.with_name(dest.name + ".part")


def test_download_success_sha256_and_md5(tmp_path):
    dest = tmp_path / "sub" / "dir" / "model.bin"
    with serve(FILES) as srv:
        got = download(srv.url("model.bin"), dest, sha256=SHA256, md5=MD5, size=SIZE, **fast())
    assert got == dest
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()
    assert [(r.method, r.range) for r in srv.requests] == [("GET", None)]
    verify(dest, sha256=SHA256, md5=MD5, size=SIZE)
    assert file_digest(dest, "sha256") == SHA256
    assert file_digest(dest, "md5") == MD5
    # upper-case hex is accepted as well; each checksum alone suffices
    with serve(FILES) as srv:
        download(srv.url("model.bin"), tmp_path / "a", sha256=SHA256.upper(), **fast())
        download(srv.url("model.bin"), tmp_path / "b", md5=MD5, **fast())
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes() == DATA


def test_checksum_mismatch_leaves_nothing(tmp_path):
    dest = tmp_path / "model.bin"
    wrong = "0" * 64
    with serve(FILES) as srv, pytest.raises(FetchError) as info:
        download(srv.url("model.bin"), dest, sha256=wrong, **fast())
    msg = str(info.value)
    assert "sha256" in msg and wrong in msg and SHA256 in msg and srv.url("model.bin") in msg
    assert not dest.exists()
    assert not part_of(dest).exists()


def test_failed_download_does_not_touch_existing_file(tmp_path):
    dest = tmp_path / "model.bin"
    dest.write_bytes(OTHER)
    with serve(FILES) as srv, pytest.raises(FetchError) as info:
        download(srv.url("model.bin"), dest, md5="f" * 32, **fast())
    assert "md5" in str(info.value) and MD5 in str(info.value)
    assert dest.read_bytes() == OTHER
    assert not part_of(dest).exists()


def test_size_mismatch_after_download(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES) as srv, pytest.raises(FetchError) as info:
        download(srv.url("model.bin"), dest, size=SIZE + 1, sha256=SHA256, **fast())
    assert f"expected {SIZE + 1} bytes" in str(info.value) and f"actual {SIZE} bytes" in str(info.value)
    assert not dest.exists() and not part_of(dest).exists()


def test_cut_transfer_is_resumed_with_range(tmp_path):
    dest = tmp_path / "model.bin"
    cut = 100_000
    with serve(FILES, cut_after=cut) as srv:
        download(srv.url("model.bin"), dest, sha256=SHA256, retries=1, **fast())
    assert dest.read_bytes() == DATA
    assert [(r.method, r.range) for r in srv.requests] == [("GET", None), ("GET", f"bytes={cut}-")]
    assert not part_of(dest).exists()


def test_existing_part_is_resumed(tmp_path):
    dest = tmp_path / "model.bin"
    half = SIZE // 2
    part_of(dest).write_bytes(DATA[:half])
    with serve(FILES) as srv:
        download(srv.url("model.bin"), dest, sha256=SHA256, size=SIZE, **fast())
    assert dest.read_bytes() == DATA
    assert [r.range for r in srv.requests] == [f"bytes={half}-"]


def test_complete_part_answered_416_is_verified_and_used(tmp_path):
    dest = tmp_path / "model.bin"
    part_of(dest).write_bytes(DATA)
    with serve(FILES) as srv:
        download(srv.url("model.bin"), dest, sha256=SHA256, **fast())
    assert dest.read_bytes() == DATA
    assert [r.range for r in srv.requests] == [f"bytes={SIZE}-"]


def test_server_without_range_support_restarts_from_zero(tmp_path):
    dest = tmp_path / "model.bin"
    part_of(dest).write_bytes(DATA[:1000])
    with serve(FILES, range_support=False) as srv:
        download(srv.url("model.bin"), dest, sha256=SHA256, **fast())
    assert dest.read_bytes() == DATA
    assert [r.range for r in srv.requests] == ["bytes=1000-"]
    # a cut transfer from such a server is also redone from zero, not appended
    dest2 = tmp_path / "again.bin"
    with serve(FILES, range_support=False, cut_after=50_000) as srv:
        download(srv.url("model.bin"), dest2, sha256=SHA256, retries=1, **fast())
    assert dest2.read_bytes() == DATA
    assert [r.range for r in srv.requests] == [None, "bytes=50000-"]


def test_404_fails_at_once(tmp_path):
    dest = tmp_path / "nowhere" / "missing.bin"
    with serve(FILES) as srv, pytest.raises(FetchError) as info:
        download(srv.url("missing.bin"), dest, retries=3, **fast())
    msg = str(info.value)
    assert "404" in msg and str(dest) in msg and srv.url("missing.bin") in msg
    assert len(srv.requests) == 1
    assert not dest.exists() and not part_of(dest).exists()


def test_403_fails_at_once_and_503_is_retried(tmp_path):
    with serve(FILES, fail_status=403, fail_times=10) as srv, pytest.raises(FetchError) as info:
        download(srv.url("model.bin"), tmp_path / "x.bin", retries=3, **fast())
    assert "403" in str(info.value) and len(srv.requests) == 1
    with serve(FILES, fail_status=503, fail_times=2) as srv:
        download(srv.url("model.bin"), tmp_path / "y.bin", sha256=SHA256, retries=3, **fast())
    assert (tmp_path / "y.bin").read_bytes() == DATA
    assert len(srv.requests) == 3


def test_offline_opens_no_connection(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES) as srv, pytest.raises(OfflineError) as info:
        download(srv.url("model.bin"), dest, offline=True, **fast())
    assert isinstance(info.value, FetchError)
    assert str(info.value) == f"OFFLINE=1: not downloading {srv.url('model.bin')} to {dest}"
    assert srv.requests == [] and srv.connections == 0
    assert not dest.exists() and not part_of(dest).exists()


def test_retries_exhausted_keep_part_and_later_call_resumes(tmp_path):
    dest = tmp_path / "model.bin"
    cut = 40_000
    with serve(FILES, cut_after=cut, cut_times=10) as srv:
        with pytest.raises(FetchError) as info:
            download(srv.url("model.bin"), dest, sha256=SHA256, retries=2, **fast())
        msg = str(info.value)
        assert "3 attempts" in msg and str(part_of(dest)) in msg
        assert len(srv.requests) == 3
        assert [r.range for r in srv.requests] == [None, f"bytes={cut}-", f"bytes={2 * cut}-"]
        assert part_of(dest).read_bytes() == DATA[: 3 * cut]
        assert not dest.exists()
        srv.cut_after = None  # the server recovers
        download(srv.url("model.bin"), dest, sha256=SHA256, retries=0, **fast())
    assert srv.requests[-1].range == f"bytes={3 * cut}-"
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()


def test_unknown_content_length(tmp_path, monkeypatch):
    dest = tmp_path / "model.bin"
    tty = _FakeTTY()
    monkeypatch.setattr(fetch.sys, "stderr", tty)
    with serve(FILES, content_length=False) as srv:
        download(srv.url("model.bin"), dest, sha256=SHA256, **fast(progress=True))
    assert dest.read_bytes() == DATA
    out = tty.getvalue()
    assert out.endswith("\n") and "MB/s" in out and "%" not in out


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_tty_and_without(tmp_path, monkeypatch):
    tty = _FakeTTY()
    monkeypatch.setattr(fetch.sys, "stderr", tty)
    with serve(FILES) as srv:
        download(srv.url("model.bin"), tmp_path / "a.bin", **fast(progress=True))
    out = tty.getvalue()
    assert out.count("\n") == 1 and out.endswith("\n")
    last = out.rstrip("\n").split("\r")[-1]
    assert "100.0%" in last and "0.3/0.3 MB" in last and "MB/s" in last
    # not a TTY: small files print nothing, large ones at most one line per 10 %
    pipe = io.StringIO()
    monkeypatch.setattr(fetch.sys, "stderr", pipe)
    with serve(FILES) as srv:
        download(srv.url("model.bin"), tmp_path / "b.bin", **fast(progress=True))
    assert pipe.getvalue() == ""
    monkeypatch.setattr(fetch, "_QUIET_BELOW", 0)
    monkeypatch.setattr(fetch, "BLOCK", 8192)
    with serve(FILES) as srv:
        download(srv.url("model.bin"), tmp_path / "c.bin", **fast(progress=True))
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("c.bin: 100%")
    assert (tmp_path / "c.bin").read_bytes() == DATA


def test_bad_scheme_and_credentials_never_printed(tmp_path):
    for url in ("ftp://example.org/model.bin", "file:///etc/hostname"):
        with pytest.raises(FetchError, match="only http:// and https://"):
            download(url, tmp_path / "x", **fast())
    with serve(FILES) as srv:
        url = srv.url("model.bin").replace("http://", "http://someone:s3cret@")
        with pytest.raises(FetchError) as info:
            download(url, tmp_path / "y", **fast())
        with pytest.raises(OfflineError) as offline:
            download(url, tmp_path / "y", offline=True, **fast())
    for err in (info.value, offline.value):
        assert "s3cret" not in str(err) and "someone" not in str(err)
        assert srv.url("model.bin") in str(err)
    assert srv.connections == 0
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_verify_messages(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    verify(path)  # nothing expected: passes
    verify(path, size=SIZE, md5=MD5)
    with pytest.raises(FetchError) as info:
        verify(path, size=SIZE - 1, sha256="0" * 64)
    msg = str(info.value)
    assert str(path) in msg and f"expected {SIZE - 1} bytes" in msg and f"actual {SIZE} bytes" in msg
    assert "sha256" not in msg  # size is checked first
    with pytest.raises(FetchError) as info:
        verify(path, md5="0" * 32)
    msg = str(info.value)
    assert str(path) in msg and "md5" in msg and "0" * 32 in msg and MD5 in msg
    with pytest.raises(FetchError, match="not found"):
        verify(tmp_path / "absent.bin", size=1)
    with pytest.raises(ValueError):
        file_digest(path, "sha1")
