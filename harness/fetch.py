"""Download one file over HTTP(S) with resume, retries and checksum verification.

Standard library only. A download goes to ``<dest>.part`` next to ``dest``; only a transfer
that passes verification is moved into place (atomically), so ``dest`` is never half written.
An interrupted transfer leaves its ``.part`` behind and the next call resumes from it.
"""

from __future__ import annotations

import http.client
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
    """A transfer problem worth another attempt (cut connection, bad resume offset)."""


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


def _transfer(url: str, part: pathlib.Path, timeout: float, progress: bool) -> None:
    """One attempt: fetch what ``part`` lacks and append it (or rewrite it if the server ignores Range)."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not have:
            raise
        whole = re.fullmatch(r"bytes \*/(\d+)", (e.headers.get("Content-Range") or "").strip())
        e.close()
        if whole and int(whole.group(1)) != have:  # .part is longer than the file: start over
            part.unlink()
            raise _Retryable(f"{part} was longer than the file ({have} > {whole.group(1)} bytes)") from None
        return  # the range starts at the end: .part is complete; verification decides
    with response:
        start, mode = 0, "wb"
        if response.status == 206:
            span = re.match(r"bytes (\d+)-", response.headers.get("Content-Range") or "")
            if not span or int(span.group(1)) != have:
                part.unlink()
                raise _Retryable(f"server resumed at the wrong offset ({span and span.group(1)}, wanted {have})")
            start, mode = have, "ab"
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.strip().isdigit() else None
        bar = _Progress(part.name[: -len(".part")], start, total, progress)
        done = start
        with open(part, mode) as f:
            while block := response.read(BLOCK):
                f.write(block)
                done += len(block)
                bar.update(done)
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
             progress: bool = True, backoff: float = 1.0, git_blob: str | None = None) -> pathlib.Path:
    """Download ``url`` to ``dest``, verify it, and return ``dest`` as a Path.

    The transfer goes to ``<dest>.part`` and resumes an existing one with a Range request.
    Connection errors, timeouts, cut transfers and HTTP 5xx/429 are retried ``retries`` more
    times, waiting ``backoff * 2**k`` seconds before retry k+1; other HTTP errors fail at once.
    On a checksum or size mismatch the ``.part`` is deleted and ``dest`` is left untouched.
    ``offline=True`` raises OfflineError before any network activity. Only http(s) URLs work.
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
    attempts = max(int(retries), 0) + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _transfer(url, part, timeout, progress)
            break
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
        raise FetchError(
            f"downloading {shown} failed after {attempts} attempts ({_describe(cause)}); "
            f"{kept} bytes received so far are kept in {part} and the next call resumes from there; "
            f"or fetch the file by hand and place it at {dest}") from cause
    problem = mismatch(part, sha256, md5, size, git_blob=git_blob)
    if problem:
        part.unlink()
        raise FetchError(f"downloaded {shown} but its {problem}; the partial file was deleted and "
                         f"{dest} was not changed. The file at the URL may have changed or be corrupt; "
                         f"check the URL and expected checksum, or fetch it by hand and place it at {dest}")
    os.replace(part, dest)
    return dest


_HTTP_ADVICE = {404: "the file is not at this address",
                401: "the server refused access (the link may have expired or need permission)"}
_HTTP_ADVICE[403] = _HTTP_ADVICE[401]


def _http_advice(code: int, reason: str, shown: str, dest: pathlib.Path) -> str:
    what = _HTTP_ADVICE.get(code, "the server rejected the request")
    return f"HTTP {code} {reason} for {shown}: {what}; check the URL or fetch it by hand and place it at {dest}"
