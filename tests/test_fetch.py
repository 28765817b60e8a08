"""harness.fetch against a real local HTTP server: resume, retries, verification, offline mode."""

from __future__ import annotations

import hashlib
import io
import json
import random
import time

import pytest

from harness import artifacts, fetch
from harness.declaration import Artifact, Benchmark, Target
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


def record_of(dest):
    """Where download() records the source of ``<dest>.part``."""
    return dest.with_name(dest.name + ".part.json")


def started_from(dest, url, data):
    """A ``.part`` holding ``data``, recorded as started from ``url`` (as an interrupted download leaves it)."""
    part_of(dest).write_bytes(data)
    record_of(dest).write_text(json.dumps({"url": url, "etag": None, "last_modified": None}))


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
    assert not part_of(dest).exists() and not record_of(dest).exists()


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
    assert not part_of(dest).exists() and not record_of(dest).exists()


def test_existing_part_is_resumed(tmp_path):
    dest = tmp_path / "model.bin"
    half = SIZE // 2
    with serve(FILES) as srv:
        started_from(dest, srv.url("model.bin"), DATA[:half])
        download(srv.url("model.bin"), dest, sha256=SHA256, size=SIZE, **fast())
    assert dest.read_bytes() == DATA
    assert [r.range for r in srv.requests] == [f"bytes={half}-"]


def test_complete_part_answered_416_is_verified_and_used(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES) as srv:
        started_from(dest, srv.url("model.bin"), DATA)
        download(srv.url("model.bin"), dest, sha256=SHA256, **fast())
    assert dest.read_bytes() == DATA
    assert [r.range for r in srv.requests] == [f"bytes={SIZE}-"]


def test_server_without_range_support_restarts_from_zero(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES, range_support=False) as srv:
        started_from(dest, srv.url("model.bin"), DATA[:1000])
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


# --- where a partial file came from ---------------------------------------------------------------

def _bench(*arts):
    return Benchmark(id="toy", aliases=(), loadgen_model="toy", domain="vision", dataset="x:y", backend="x:y",
                     codec="x:y", metric="x:y", targets={"toy": (Target("acc", 1.0),)}, primary="toy",
                     total_count=1, performance_count=1, requirements="r.txt", artifacts=arts)


def test_a_bad_first_mirror_cut_mid_transfer_does_not_block_the_good_second_one(tmp_path, capsys):
    dest = tmp_path / "models" / "model.bin"
    cut = 100_000
    with serve({"model.bin": OTHER}, cut_after=cut) as bad, serve(FILES) as good:
        bench = _bench(Artifact("weights", "models/model.bin", sha256=SHA256, size=SIZE,
                                sources=(bad.url("model.bin"), good.url("model.bin"))))
        # an earlier run was cut off while the bad mirror was sending
        with pytest.raises(FetchError):
            download(bad.url("model.bin"), dest, sha256=SHA256, size=SIZE, retries=0, **fast())
        assert part_of(dest).read_bytes() == OTHER[:cut]
        bad.files.clear()  # now that mirror answers 404: the next run goes on to the good one
        got = artifacts.resolve_all(bench, str(tmp_path), offline=False, manifest={})
    assert got["weights"].path == dest and dest.read_bytes() == DATA
    assert [r.range for r in good.requests] == [None]  # not asked to continue the bad mirror's bytes
    assert f"{part_of(dest)} came from {bad.url('model.bin')}" in capsys.readouterr().err
    assert not part_of(dest).exists() and not record_of(dest).exists()


@pytest.mark.parametrize("validator", [{"etag": '"v1-abc"'}, {"last_modified": "Tue, 01 Apr 2025 10:00:00 GMT"}],
                         ids=["etag", "last_modified"])
def test_another_source_with_the_same_version_resumes_the_partial_file(tmp_path, validator):
    dest = tmp_path / "model.bin"
    cut = 100_000
    (kind, value), = validator.items()
    with serve(FILES, cut_after=cut, **validator) as first, serve(FILES, **validator) as second:
        with pytest.raises(FetchError):
            download(first.url("model.bin"), dest, retries=0, **fast())
        assert json.loads(record_of(dest).read_text())["url"] == first.url("model.bin")
        assert json.loads(record_of(dest).read_text())[kind] == value
        download(second.url("model.bin"), dest, sha256=SHA256, size=SIZE, **fast())
        assert second.wait_idle()
    assert dest.read_bytes() == DATA
    assert [(r.range, r.if_range) for r in second.requests] == [(f"bytes={cut}-", value)]
    assert second.sent == SIZE - cut  # only what was missing
    assert not part_of(dest).exists() and not record_of(dest).exists()


@pytest.mark.parametrize("if_range", [True, False], ids=["server-honours-if-range", "server-ignores-if-range"])
def test_another_source_with_another_version_starts_the_partial_file_over(tmp_path, if_range):
    dest = tmp_path / "model.bin"
    with serve({"model.bin": OTHER}, cut_after=100_000, etag='"old"') as first, \
            serve(FILES, etag='"new"', if_range=if_range) as second:
        with pytest.raises(FetchError):
            download(first.url("model.bin"), dest, retries=0, **fast())
        download(second.url("model.bin"), dest, sha256=SHA256, retries=0, **fast())
    assert dest.read_bytes() == DATA
    asked = [(r.range, r.if_range) for r in second.requests]
    # a server that knows If-Range sends the whole file at once; otherwise its 206 is dropped and the file asked again
    assert asked == [("bytes=100000-", '"old"')] + ([] if if_range else [(None, None)])
    assert not part_of(dest).exists() and not record_of(dest).exists()


def test_a_partial_file_without_a_record_of_its_source_is_started_over(tmp_path):
    dest = tmp_path / "model.bin"
    part_of(dest).write_bytes(OTHER[:1000])  # left by an older harness, or put there by hand
    with serve(FILES) as srv:
        download(srv.url("model.bin"), dest, sha256=SHA256, **fast())
    assert dest.read_bytes() == DATA
    assert [r.range for r in srv.requests] == [None]


# --- stalls, oversized bodies, redirects ------------------------------------------------------------

def test_a_trickling_server_is_given_up_as_stalled_and_retried(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES, trickle=(10, 0.05)) as srv:  # 200 bytes/s: would take 25 minutes
        began = time.monotonic()
        with pytest.raises(FetchError) as info:
            download(srv.url("model.bin"), dest, retries=1, stall_bytes=1000, stall_seconds=0.5, **fast())
        took = time.monotonic() - began
    msg = str(info.value)
    assert took < 5
    assert "2 attempts" in msg and "the transfer stalled" in msg and "fewer than 1000 in 0.5 s" in msg
    kept = part_of(dest).read_bytes()
    assert 0 < len(kept) < 1000 and kept == DATA[: len(kept)]
    assert f"the {len(kept)} bytes received so far are kept in {part_of(dest)}" in msg
    assert srv.requests[1].range is not None  # the second attempt resumed the first one's bytes
    # a slow but steady server is not a stall
    with serve(FILES, trickle=(50_000, 0.05)) as srv:  # about 0.3 s in all
        download(srv.url("model.bin"), tmp_path / "steady.bin", sha256=SHA256, retries=0, stall_bytes=1000,
                 stall_seconds=0.2, **fast())
    assert (tmp_path / "steady.bin").read_bytes() == DATA


HUGE = bytes(64 << 20)


@pytest.mark.parametrize("content_length", [True, False], ids=["declared-length", "no-length"])
def test_a_body_larger_than_the_declared_size_is_refused_without_reading_it(tmp_path, content_length):
    dest = tmp_path / "model.bin"
    declared = 200_000
    with serve({"model.bin": HUGE}, content_length=content_length) as srv:
        with pytest.raises(FetchError) as info:
            download(srv.url("model.bin"), dest, size=declared, retries=3, **fast())
        assert srv.wait_idle()
    msg = str(info.value)
    assert f"the server sent more than the declared size of {declared} bytes" in msg
    assert ("Content-Length says" in msg) == content_length
    assert len(srv.requests) == 1  # not retried: the next source is the cure
    assert srv.sent < len(HUGE) // 4  # the client stopped reading (what was sent sat in socket buffers)
    assert not dest.exists() and not part_of(dest).exists() and not record_of(dest).exists()


def test_redirects_to_anything_but_http_are_refused(tmp_path):
    redirects = {"to-file": "file:///etc/passwd", "to-ftp": "ftp://someone:s3cret@127.0.0.1:9/model.bin",
                 "hop": "/model.bin"}
    with serve(FILES, redirects=redirects) as srv:
        for name, scheme in (("to-file", "file"), ("to-ftp", "ftp")):
            dest = tmp_path / name
            with pytest.raises(FetchError) as info:
                download(srv.url(name), dest, retries=2, **fast())
            msg = str(info.value)
            assert f"{srv.url(name)} redirected to a {scheme}:// address" in msg
            assert "s3cret" not in msg and "someone" not in msg
            assert not dest.exists() and not part_of(dest).exists() and not record_of(dest).exists()
        assert len(srv.requests) == 2  # refused at once, not retried
        download(srv.url("hop"), tmp_path / "hop.bin", sha256=SHA256, **fast())  # http -> http is followed
    assert (tmp_path / "hop.bin").read_bytes() == DATA
    assert [r.path for r in srv.requests[2:]] == ["/hop", "/model.bin"]


# --- the final message says what is kept ------------------------------------------------------------

def test_when_nothing_was_received_the_message_says_nothing_is_kept(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES, cut_after=0, cut_times=10) as srv, pytest.raises(FetchError) as info:
        download(srv.url("model.bin"), dest, retries=1, **fast())
    msg = str(info.value)
    assert "2 attempts" in msg and "no partial file is kept, so the next call starts from the beginning" in msg
    assert "kept in" not in msg and "resumes" not in msg
    assert not part_of(dest).exists() and not record_of(dest).exists()


def test_when_the_partial_file_was_deleted_the_message_says_nothing_is_kept(tmp_path):
    dest = tmp_path / "model.bin"
    with serve(FILES, cut_after=100_000) as srv:
        with pytest.raises(FetchError) as info:
            download(srv.url("model.bin"), dest, retries=0, **fast())
        assert "100000 bytes received so far are kept in" in str(info.value)
        srv.files["model.bin"] = DATA[:50_000]  # the file got shorter: the .part cannot be resumed
        with pytest.raises(FetchError) as info:
            download(srv.url("model.bin"), dest, retries=0, **fast())
    msg = str(info.value)
    assert "longer than the file" in msg and "no partial file is kept" in msg and "kept in" not in msg
    assert not part_of(dest).exists() and not record_of(dest).exists()
