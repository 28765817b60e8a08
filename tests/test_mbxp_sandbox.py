"""MBXP's sandbox against the escapes it must contain: real bwrap, real programs, no mocks.

Each escape program is an MBXP Python problem whose module-level code tries the escape. bwrap
missing makes these tests fail (SandboxUnavailable), never skip: CI installs it (.ci/run).
"""

from __future__ import annotations

import http.server
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from harness.errors import HarnessError, UsageError
from language.mixtral_8x7b import mbxp, sandbox

ROOT = Path(__file__).resolve().parent.parent
CHECK = "def check(candidate):\n    assert candidate() == 1\n"


@pytest.fixture(autouse=True)
def default_sandbox():
    assert mbxp.available("python"), "python3 under /usr is needed to run the escape programs in the sandbox"


def escape(code: str) -> dict:
    """A Python problem: ``code`` runs first, then the test calls f() (which returns 1)."""
    return {"lang": "python", "entry_point": "f", "test_code": CHECK, "response": code + "\ndef f():\n    return 1\n"}


def timed(problem: dict, timeout: float) -> tuple[bool, str, float]:
    start = time.monotonic()
    ok, text = mbxp.check(problem, timeout=timeout)
    return ok, text, time.monotonic() - start


def marker() -> str:
    """A sleep argument no other process has: ``sleep 60 <marker>`` is findable on the host."""
    return f"0.{secrets.randbelow(10 ** 12):012d}1"


def alive(tag: str) -> list[int]:
    """Host pids whose command line holds ``tag``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if tag.encode() in cmdline and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


def reap(tag: str) -> None:
    """Cleanup for a failing run: kill what escaped, so one failure does not leak processes."""
    for pid in alive(tag):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def test_writes_outside_the_work_dir_do_not_reach_the_host(tmp_path):
    nonce = secrets.token_hex(6)
    targets = [tmp_path / "escaped.txt", ROOT / f".mbxp-escaped-{nonce}", Path.home() / f".mbxp-escaped-{nonce}",
               Path("/tmp") / f"mbxp-escaped-{nonce}" / "x.txt"]
    code = f"""
import os
open("honest.txt", "w").write("a program may write its own directory")
for target in {[str(t) for t in targets]!r}:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").write("escaped")
    except OSError as e:
        print("refused", target, e.errno)
"""
    try:
        ok, text, wall = timed(escape(code), 10)
        assert ok, text
        assert [t for t in targets if t.exists()] == []
        assert wall < 10
    finally:
        for target in targets:
            target.unlink(missing_ok=True)
        shutil.rmtree(Path("/tmp") / f"mbxp-escaped-{nonce}", ignore_errors=True)


def test_planted_secrets_cannot_be_read(tmp_path):
    secret = secrets.token_hex(16)
    planted = [tmp_path / "secret.txt", ROOT / f".mbxp-secret-{secret[:8]}", Path.home() / f".mbxp-secret-{secret[:8]}"]
    for path in planted:
        path.write_text(secret)
    code = f"""
import os, sys
leaked = []
for path in {[str(p) for p in planted]!r}:
    try:
        leaked.append(open(path).read())
    except OSError:
        pass
for folder in {[str(ROOT), str(Path.home()), str(tmp_path)]!r}:
    try:
        leaked.append(folder + ": " + ",".join(os.listdir(folder)))
    except OSError:
        pass
if leaked:
    sys.exit("LEAKED " + " | ".join(leaked))
"""
    try:
        ok, text, wall = timed(escape(code), 10)
        assert ok, text
        assert secret not in text and wall < 10
    finally:
        for path in planted:
            path.unlink(missing_ok=True)


def test_no_network_not_even_the_hosts_loopback():
    body = b"x" * 200_000
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    code = f"""
import sys, urllib.request
try:
    got = len(urllib.request.urlopen({url!r}, timeout=3).read())
except OSError as e:
    print("no network:", e)
else:
    sys.exit(f"FETCHED {{got}} bytes")
"""
    try:
        assert len(urllib.request.urlopen(url, timeout=5).read()) == len(body)  # it answers the host
        requests.clear()
        ok, text, wall = timed(escape(code), 10)
        assert ok, text
        assert requests == [] and wall < 10
    finally:
        server.shutdown()
        server.server_close()


def test_a_200_mb_file_is_refused_at_the_file_size_limit():
    code = """
import sys
written, error = 0, None
try:
    with open("big.bin", "wb") as out:
        for _ in range(200):
            out.write(b"\\0" * (1 << 20))
            out.flush()
            written += 1 << 20
except OSError as e:
    error = e.strerror
sys.exit(f"wrote={written} error={error}")
"""
    ok, text, wall = timed(escape(code), 10)
    found = re.search(r"wrote=(\d+) error=(.*)", text)
    assert not ok and found, text
    assert int(found.group(1)) <= sandbox.FILE_BYTES and found.group(2) == "File too large"
    assert wall < 10


def test_forking_60_children_is_contained_and_none_survive():
    tag = marker()
    code = f"""
import os
forked = 0
try:
    for _ in range(60):
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "60", {tag!r}])
        forked += 1
except OSError as e:
    print("fork refused:", e.strerror)
print(f"forked={{forked}}")
"""
    try:
        ok, text, wall = timed(escape(code), 10)
        found = re.search(r"forked=(\d+)", text)
        assert found, text
        assert int(found.group(1)) < sandbox.PROCESSES and not ok and "left" in text
        assert alive(tag) == [] and wall < 10
        assert subprocess.run(["true"]).returncode == 0  # the host still forks
    finally:
        reap(tag)


def test_a_daemon_fails_the_check_and_dies_with_it():
    tag = marker()
    code = f"""
import os
if os.fork() > 0:
    os._exit(0)  # what the runner waits for "succeeds" before any test ran
os.setsid()
if os.fork() > 0:
    os._exit(0)
null = os.open("/dev/null", os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
os.execvp("sleep", ["sleep", "60", {tag!r}])
"""
    try:
        ok, text, wall = timed(escape(code), 10)
        assert not ok and "left" in text, text
        assert alive(tag) == []
        assert wall < 5  # decided when the program exits, not at the deadline
    finally:
        reap(tag)


def test_stdout_held_open_by_a_background_process_does_not_extend_the_deadline():
    tag = marker()
    code = f"""
import subprocess
subprocess.Popen(["sleep", "30", {tag!r}], start_new_session=True)  # inherits stdout
while True:
    pass
"""
    try:
        ok, text, wall = timed(escape(code), 3)
        assert (ok, text) == (False, "timed out")
        assert wall < 3 + 2
        assert alive(tag) == []
    finally:
        reap(tag)


HONEST = {  # response, test code: the right answer passes, "a - b" fails
    "python": ("def add(a, b):\n    return a + b\n", "def check(candidate):\n    assert candidate(2, 3) == 5\n"),
    "javascript": ("function add(a, b) { return a + b; }\n",
                   "const assert = require('node:assert');\nassert.strictEqual(add(2, 3), 5);\n"),
    "cpp": ("#include <cassert>\nint add(int a, int b) { return a + b; }\n",
            "int main() { assert(add(2, 3) == 5); return 0; }\n"),
    "typescript": ("function add(a: number, b: number): number { return a + b; }\n",
                   'if (add(2, 3) !== 5) { throw new Error("wrong"); }\n'),
    "ruby": ("def add(a, b)\n  a + b\nend\n", 'raise "wrong" unless add(2, 3) == 5\n'),
    "php": ("<?php\nfunction add($a, $b) { return $a + $b; }\n", "if (add(2, 3) !== 5) { exit(1); }\n"),
}


@pytest.mark.parametrize("lang", sorted(HONEST))
def test_honest_programs_pass_in_the_sandbox(lang):
    if not mbxp.available(lang):
        pytest.skip(f"no {' / '.join(mbxp.LANGUAGES[lang].tools)} on the sandbox's PATH ({sandbox.SANDBOX_PATH})")
    response, test = HONEST[lang]
    good = {"lang": lang, "entry_point": "add", "test_code": test, "response": response + "```"}
    wrong = dict(good, response=response.replace("a + b", "a - b").replace("$a + $b", "$a - $b"))
    result = mbxp.evaluate([good, wrong], workers=2, timeout=20)
    assert result["sandbox"] == "bwrap"
    assert (result["passed"], result["counts"]) == ({lang: 1}, {lang: 2}), result["results"]


def test_missing_bwrap_stops_with_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    with pytest.raises(sandbox.SandboxUnavailable) as error:
        mbxp.evaluate([escape("")], workers=1)
    message = str(error.value)
    assert "bwrap" in message and "apt-get install bubblewrap" in message and "MBXP_SANDBOX=none" in message
    assert isinstance(error.value, HarnessError) and error.value.exit_code == 1
    with pytest.raises(sandbox.SandboxUnavailable):
        mbxp.check(escape(""), timeout=5)


def test_the_opt_out_runs_without_bwrap_and_says_so(monkeypatch, tmp_path, capsys):
    (tmp_path / "python3").symlink_to(os.path.realpath(shutil.which("python3", path=sandbox.SANDBOX_PATH)))
    monkeypatch.setenv("PATH", str(tmp_path))  # python3, no bwrap
    result = mbxp.evaluate([escape(""), escape("import sys\nsys.exit(1)")], workers=1, timeout=10, mode="none")
    assert result["sandbox"] == "none" and result["passed"] == {"python": 1} and result["counts"] == {"python": 2}
    assert "MBXP_SANDBOX=none" in capsys.readouterr().err
    assert mbxp.check(escape(""), timeout=10, mode="none") == (True, "passed")
    assert "WITHOUT a sandbox" in capsys.readouterr().err


def test_an_unknown_sandbox_value_is_a_usage_error():
    from harness import config, registry

    mixtral = registry.get("mixtral")
    assert config.benchmark_options(mixtral, {})["MBXP_SANDBOX"] == "bwrap"
    with pytest.raises(UsageError, match="MBXP_SANDBOX='docker' is not valid: use bwrap"):
        config.benchmark_options(mixtral, {"MBXP_SANDBOX": "docker"})
