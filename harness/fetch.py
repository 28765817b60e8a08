"""Download one file over HTTP(S) with resume, retries and checksum verification.

Standard library only. A download goes to ``<dest>.part`` next to ``dest``; only a transfer
that passes verification is moved into place (atomically), so ``dest`` is never half written.
``<dest>.part.json`` records where the ``.part`` came from (url, ETag, Last-Modified). An
interrupted transfer leaves both behind; a later call resumes the ``.part`` from that url, or from
another whose ETag (else Last-Modified) is the recorded one, and otherwise starts it over.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pathlib
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import FetchError
from .hashing import BLOCK, mismatch

_QUIET_BELOW = 10 * 1000 * 1000  # without a TTY, files smaller than this print no progress
_USER_AGENT = "mlperf-accuracy-harness-fetch/1"


class OfflineError(FetchError):
    """OFFLINE mode forbids opening a connection."""


class _Retryable(Exception):
    """A transfer problem worth another attempt (cut connection, stall, bad resume offset)."""


class _TooLarge(Exception):
    """The server sends more than the declared size; str() says how that was seen."""


class _RedirectRefused(Exception):
    def __init__(self, scheme: str, target: str):
        super().__init__(scheme, target)
        self.scheme, self.target = scheme, target


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only (urllib also follows ftp://)."""

    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get("location") or headers.get("uri")
        if target:
            target = urllib.parse.urljoin(req.full_url, target)
            scheme = urllib.parse.urlsplit(target).scheme.lower()
            if scheme not in ("http", "https"):
                fp.close()
                raise _RedirectRefused(scheme, _display_url(target))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _display_url(url: str) -> str:
    """``url`` without any ``user:pass@`` part, safe to print."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class _Progress:
    """One redrawn line on a TTY (<= 10 redraws/s); otherwise a line per 10 % for large files."""

    def __init__(self, label: str, done: int, total: int | None, enabled: bool):
        try:
            tty = enabled and sys.stderr.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.label, self.total, self.enabled, self.tty = label, total, enabled, tty
        self.start, self.t0, self.drawn = done, time.monotonic(), 0.0
        self.step = self._step(done)

    def _step(self, done: int) -> int:
        return done * 10 // self.total if self.total else 0

    def _rate(self, done: int) -> float:
        return (done - self.start) / max(time.monotonic() - self.t0, 1e-6) / 1e6

    def update(self, done: int, final: bool = False) -> None:
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if final or now - self.drawn >= 0.1:
                self.drawn = now
                if self.total:
                    text = (f"{self.label}: {done / 1e6:.1f}/{self.total / 1e6:.1f} MB "
                            f"{100 * done / self.total:5.1f}% {self._rate(done):6.1f} MB/s")
                else:
                    text = f"{self.label}: {done / 1e6:.1f} MB {self._rate(done):6.1f} MB/s"
                sys.stderr.write("\r" + text.ljust(72) + ("\n" if final else ""))
                sys.stderr.flush()
        elif self.total and self.total >= _QUIET_BELOW and self._step(done) > self.step:
            self.step = self._step(done)
            print(f"{self.label}: {min(self.step * 10, 100)}% of {self.total / 1e6:.1f} MB "
                  f"({self._rate(done):.1f} MB/s)", file=sys.stderr, flush=True)


def _record_of(part: pathlib.Path) -> pathlib.Path:
    return part.with_name(part.name + ".json")


def _discard(part: pathlib.Path) -> None:
    """Delete ``part`` and the record of its source."""
    for path in (part, _record_of(part)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _read_record(part: pathlib.Path) -> dict | None:
    try:
        record = json.loads(_record_of(part).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("url"), str) else None


def _start_record(part: pathlib.Path, url: str, headers) -> None:
    """Empty ``part`` and record (atomically) that what it will hold comes from ``url``."""
    _discard(part)
    record = _record_of(part)
    tmp = record.with_name(record.name + ".tmp")
    tmp.write_text(json.dumps({"url": url, "etag": headers.get("ETag"),
                               "last_modified": headers.get("Last-Modified")}) + "\n")
    os.replace(tmp, record)


def _validator(etag: str | None, last_modified: str | None) -> tuple[str, str] | None:
    """What tells one version of a file from another: a strong ETag, else Last-Modified."""
    if etag and etag.strip() and not etag.strip().startswith("W/"):
        return ("ETag", etag.strip())
    return ("Last-Modified", last_modified.strip()) if last_modified and last_modified.strip() else None


def _same_version(record: dict, headers) -> bool:
    recorded = _validator(record.get("etag"), record.get("last_modified"))
    return recorded is not None and recorded == _validator(headers.get("ETag"), headers.get("Last-Modified"))


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def _transfer(url: str, part: pathlib.Path, opener, timeout: float, progress: bool, size: int | None,
              stall: tuple[int, float]) -> None:
    """One attempt: fetch what ``part`` lacks and append it, or start ``part`` over from byte 0 when
    it may not be resumed from ``url`` (see ``download``) or the server sends the whole file."""
    shown = _display_url(url)
    have = part.stat().st_size if part.exists() else 0
    record = _read_record(part) if have else None
    restart = None
    if have and record is None:
        restart = f"{part} has no record of its source"
    elif have and size is not None and have > size:
        restart = f"{part} is larger than the declared {size} bytes"
    elif have and record["url"] != url and not _validator(record.get("etag"), record.get("last_modified")):
        restart = f"{part} came from {_display_url(record['url'])}, with no ETag or Last-Modified to compare"
    if restart:
        _say(progress, f"{restart}: starting it over from byte 0")
        have = 0
    if not have:
        _discard(part)  # an empty .part, or a record without one
    same = bool(have) and record["url"] == url
    other_version = (f"{part} came from {_display_url(record['url'])} and {shown} serves another version "
                     f"(ETag/Last-Modified differ): starting it over from byte 0") if have and not same else ""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
        if not same:  # a server that knows If-Range sends the whole file if the version differs
            request.add_header("If-Range", _validator(record.get("etag"), record.get("last_modified"))[1])
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not have:
            raise
        headers = e.headers
        e.close()
        if not same and not _same_version(record, headers):
            _say(progress, other_version)
            _discard(part)
            return _transfer(url, part, opener, timeout, progress, size, stall)
        whole = re.fullmatch(r"bytes \*/(\d+)", (headers.get("Content-Range") or "").strip())
        if whole and int(whole.group(1)) != have:  # .part is longer than the file: start over
            _discard(part)
            raise _Retryable(f"{part} was longer than the file ({have} > {whole.group(1)} bytes)") from None
        return  # the range starts at the end: .part is complete; verification decides
    with response:
        headers = response.headers
        start, mode = 0, "wb"
        if response.status == 206:
            if not same and not _same_version(record, headers):
                response.close()
                _say(progress, other_version)
                _discard(part)
                return _transfer(url, part, opener, timeout, progress, size, stall)
            span = re.match(r"bytes (\d+)-\d*(?:/(\d+))?", headers.get("Content-Range") or "")
            if not span or int(span.group(1)) != have:
                _discard(part)
                raise _Retryable(f"server resumed at the wrong offset ({span and span.group(1)}, wanted {have})")
            if size is not None and span.group(2) and int(span.group(2)) > size:
                raise _TooLarge(f"Content-Range says the file has {span.group(2)} bytes")
            start, mode = have, "ab"
        else:
            if have:
                _say(progress, f"{shown} sent the whole file, not the rest: starting {part} over from byte 0")
            _start_record(part, url, headers)
        length = headers.get("Content-Length")
        total = start + int(length) if length and length.strip().isdigit() else None
        if size is not None and total is not None and total > size:
            raise _TooLarge(f"Content-Length says {total} bytes")
        bar = _Progress(part.name[: -len(".part")], start, total, progress)
        done = start
        stall_bytes, stall_seconds = stall
        window_start, window_done = time.monotonic(), done
        with open(part, mode) as f:
            # read1 returns whatever arrived (read would wait for a whole block), so a trickle is seen
            while block := response.read1(BLOCK if size is None else max(min(BLOCK, size - done + 1), 1)):
                if size is not None and done + len(block) > size:
                    raise _TooLarge(f"more than {size} bytes arrived")
                f.write(block)
                done += len(block)
                bar.update(done)
                now = time.monotonic()
                if now - window_start >= stall_seconds:
                    if done - window_done < stall_bytes:
                        raise _Retryable(f"the transfer stalled: {done - window_done} bytes arrived in "
                                         f"{now - window_start:.1f} s, fewer than {stall_bytes} in {stall_seconds:g} s")
                    window_start, window_done = now, done
        bar.update(done, final=True)
    if total is not None and done < total:
        raise _Retryable(f"connection closed after {done} of {total} bytes")


def _describe(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        return f"connection failed: {e.reason}"
    return str(e) if isinstance(e, _Retryable) else f"{type(e).__name__}: {e}"


def download(url: str, dest, *, sha256: str | None = None, md5: str | None = None,
             size: int | None = None, retries: int = 3, timeout: float = 60.0, offline: bool = False,
             progress: bool = True, backoff: float = 1.0, git_blob: str | None = None,
             stall_bytes: int = 64 * 1024, stall_seconds: float = 60.0) -> pathlib.Path:
    """Download ``url`` to ``dest``, verify it, and return ``dest`` as a Path.

    The transfer goes to ``<dest>.part`` (its source recorded in ``<dest>.part.json``). An existing
    ``.part`` is resumed with a Range request only from the url that started it, or from one whose
    ETag (else Last-Modified) is the recorded one; otherwise it is started over from byte 0.
    Connection errors, timeouts (``timeout`` seconds per connect or read), stalls (fewer than
    ``stall_bytes`` arriving in ``stall_seconds``), cut transfers and HTTP 5xx/429 are retried
    ``retries`` more times, waiting ``backoff * 2**k`` seconds before retry k+1; other HTTP errors
    fail at once. Given ``size``, a larger body is refused once seen (Content-Length, else the bytes read).
    On a checksum or size mismatch the ``.part`` is deleted and ``dest`` is left untouched.
    ``offline=True`` raises OfflineError before any network activity. Only http(s) URLs and
    redirects to them are followed.
    """
    dest = pathlib.Path(dest)
    shown = _display_url(url)
    if offline:
        raise OfflineError(f"OFFLINE=1: not downloading {shown} to {dest}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"cannot download {shown}: only http:// and https:// URLs are supported; "
                         f"fetch it by hand and place it at {dest}")
    if "@" in parts.netloc:
        raise FetchError(f"cannot download {shown}: credentials in the URL (user:pass@) are not "
                         f"supported; fetch it by hand and place it at {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    attempts = max(int(retries), 0) + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _transfer(url, part, opener, timeout, progress, size, (stall_bytes, stall_seconds))
            break
        except _RedirectRefused as e:
            raise FetchError(f"{shown} redirected to a {e.scheme}:// address ({e.target}); only http:// and "
                             f"https:// redirects are followed, so nothing was downloaded. Check the URL, or "
                             f"fetch the file by hand and place it at {dest}") from None
        except _TooLarge as e:
            _discard(part)
            raise FetchError(f"refused {shown}: the server sent more than the declared size of {size} bytes "
                             f"({e}); the partial file was deleted and {dest} was not changed. The URL may "
                             f"point at another file; check it, or fetch the file by hand and place it at "
                             f"{dest}") from None
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                e.close()
                raise FetchError(_http_advice(e.code, e.reason, shown, dest)) from None
            cause = e
            e.close()
        except (_Retryable, urllib.error.URLError, http.client.HTTPException, ConnectionError,
                TimeoutError) as e:
            cause = e
    else:
        kept = part.stat().st_size if part.exists() else 0
        if kept:
            where = (f"the {kept} bytes received so far are kept in {part} and the next call from the same "
                     f"address resumes from there")
        else:
            _discard(part)
            where = "no partial file is kept, so the next call starts from the beginning"
        raise FetchError(f"downloading {shown} failed after {attempts} attempts ({_describe(cause)}); {where}; "
                         f"or fetch the file by hand and place it at {dest}") from cause
    problem = mismatch(part, sha256, md5, size, git_blob=git_blob)
    if problem:
        _discard(part)
        raise FetchError(f"downloaded {shown} but its {problem}; the partial file was deleted and "
                         f"{dest} was not changed. The file at the URL may have changed or be corrupt; "
                         f"check the URL and expected checksum, or fetch it by hand and place it at {dest}")
    os.replace(part, dest)
    _discard(part)  # the record of its source
    return dest


_HTTP_ADVICE = {404: "the file is not at this address",
                401: "the server refused access (the link may have expired or need permission)"}
_HTTP_ADVICE[403] = _HTTP_ADVICE[401]


def _http_advice(code: int, reason: str, shown: str, dest: pathlib.Path) -> str:
    what = _HTTP_ADVICE.get(code, "the server rejected the request")
    return f"HTTP {code} {reason} for {shown}: {what}; check the URL or fetch it by hand and place it at {dest}"
