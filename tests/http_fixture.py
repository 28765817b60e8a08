"""A real HTTP server on 127.0.0.1 for tests: serves in-memory files and records what it was asked.

    with serve({"a.bin": data}, cut_after=1000) as srv:
        download(srv.url("a.bin"), tmp_path / "a.bin", retries=1, backoff=0)
        assert srv.requests[1].range == "bytes=1000-"

The behaviour settings (``range_support``, ``cut_after``, ``cut_times``, ``content_length``,
``fail_status``, ``fail_times``, ``etag``, ``last_modified``, ``if_range``, ``redirects``,
``trickle``) are attributes of the yielded object and are read on every request, so a test may
change them between downloads. ``sent`` counts the body bytes the server managed to write
(final once ``wait_idle()`` returns).
"""

from __future__ import annotations

import contextlib
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, NamedTuple

_CHUNK = 64 * 1024  # body bytes per socket write (and per count in ``sent``)


class Request(NamedTuple):
    method: str
    path: str
    range: str | None
    if_range: str | None = None


class Served:
    """The running server: ``url(name)``, the ``requests`` log, the ``connections`` count and the
    ``sent`` count of body bytes written."""

    def __init__(self, files: dict[str, bytes], **settings):
        self.files = dict(files)
        self.range_support = settings["range_support"]
        self.cut_after = settings["cut_after"]
        self.cut_times = settings["cut_times"]
        self.content_length = settings["content_length"]
        self.fail_status = settings["fail_status"]
        self.fail_times = settings["fail_times"]
        self.etag = settings.get("etag")
        self.last_modified = settings.get("last_modified")
        self.if_range = settings.get("if_range", False)
        self.redirects = dict(settings.get("redirects") or {})
        self.trickle = settings.get("trickle")
        self.requests: list[Request] = []
        self.connections = 0
        self.gets = 0  # GET requests seen so far
        self.sent = 0  # body bytes written to sockets so far
        self.lock = threading.Lock()
        self.answering = 0  # requests being answered now
        self.answered = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self.port = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{urllib.parse.quote(name)}"

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being answered (so ``sent`` is final); False on timeout."""
        with self.answered:
            return self.answered.wait_for(lambda: self.answering == 0, timeout)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    served: Served

    def process_request(self, request, client_address):
        with self.served.lock:
            self.served.connections += 1
        super().process_request(request, client_address)

    def finish_request(self, request, client_address):
        with self.served.lock:
            self.served.answering += 1
        try:
            super().finish_request(request, client_address)
        finally:
            with self.served.answered:
                self.served.answering -= 1
                self.served.answered.notify_all()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_HEAD(self):
        self._answer(send_body=False)

    def do_GET(self):
        self._answer(send_body=True)

    def _validators(self, s: Served) -> None:
        if s.etag:
            self.send_header("ETag", s.etag)
        if s.last_modified:
            self.send_header("Last-Modified", s.last_modified)

    def _answer(self, send_body: bool) -> None:
        s = self.server.served
        wanted = self.headers.get("Range")
        condition = self.headers.get("If-Range")
        with s.lock:
            s.requests.append(Request(self.command, self.path, wanted, condition))
            if send_body:
                s.gets += 1
            nth_get = s.gets
        if s.fail_status and send_body and nth_get <= s.fail_times:
            self.send_error(s.fail_status)
            return
        name = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path.lstrip("/"))
        if name in s.redirects:
            self.send_response(302)
            self.send_header("Location", s.redirects[name])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = s.files.get(name)
        if data is None:
            self.send_error(404)
            return
        status, start, end = 200, 0, len(data)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted or "")
        if s.if_range and condition is not None and condition not in (s.etag, s.last_modified):
            match = None  # If-Range does not match: the whole file, as RFC 9110 says
        if s.range_support and match:
            start = int(match.group(1))
            end = min(int(match.group(2)) + 1, len(data)) if match.group(2) else len(data)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self._validators(s)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if s.range_support:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self._validators(s)
        if s.content_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.close_connection = True
        if not send_body:
            return
        if s.cut_after is not None and nth_get <= s.cut_times:
            body = body[: s.cut_after]  # headers promised more: the client sees a cut transfer
        step, pause = s.trickle or (_CHUNK, 0.0)
        try:
            for at in range(0, len(body), step):
                if at and pause and s.stopping.wait(pause):
                    return
                chunk = body[at: at + step]
                self.wfile.write(chunk)
                with s.lock:
                    s.sent += len(chunk)
        except OSError:  # the client went away
            pass


@contextlib.contextmanager
def serve(files: dict[str, bytes], *, range_support: bool = True, cut_after: int | None = None,
          cut_times: int = 1, content_length: bool = True, fail_status: int | None = None,
          fail_times: int = 1, etag: str | None = None, last_modified: str | None = None,
          if_range: bool = False, redirects: dict[str, str] | None = None,
          trickle: tuple[int, float] | None = None) -> Iterator[Served]:
    """Serve ``files`` (name -> bytes) on 127.0.0.1 at a free port until the block exits.

    ``range_support=False`` ignores Range headers and answers 200 with the whole file.
    ``cut_after=N`` sends the full Content-Length but only N body bytes, then closes the
    connection, for the first ``cut_times`` GET requests. ``content_length=False`` omits the
    header (the body ends when the connection closes). ``fail_status`` answers the first
    ``fail_times`` GET requests with that HTTP status. Unknown names get 404.
    ``etag`` and ``last_modified`` are sent as the ETag and Last-Modified headers; with
    ``if_range=True`` a Range request whose If-Range matches neither gets the whole file (200),
    otherwise If-Range is ignored. ``redirects`` maps names to a Location answered with 302.
    ``trickle=(n, seconds)`` sends the body n bytes at a time, pausing ``seconds`` between writes.
    """
    served = Served(files, range_support=range_support, cut_after=cut_after, cut_times=cut_times,
                    content_length=content_length, fail_status=fail_status, fail_times=fail_times,
                    etag=etag, last_modified=last_modified, if_range=if_range, redirects=redirects,
                    trickle=trickle)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.served = served
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.stopping.set()  # ends trickling answers
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
