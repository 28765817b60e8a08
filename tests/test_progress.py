"""Progress of long steps: the helper's terminal vs plain-line policy, and the LoadGen progress
line and configuration block in the console.log of every benchmark's demo."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from conftest import harness_env, run

from harness import progress, registry, rundir

DEMOS = [b for b in registry.all_benchmarks() if b.demo]
COUNT = 3
LINE = re.compile(r"^(?P<desc>[^:]+): (?P<done>\d+)/(?P<total>\d+) (?P<unit>\w+) \((?P<percent>\d+)%\), "
                  r"(?P<rate>[\d.]+) (?P=unit)/s(?:, (?P<tokens>[\d.]+) tokens/s)?, "
                  r"elapsed (?P<elapsed>\d\d:\d\d), ETA (?:\d\d:\d\d|\?)$")
OPEN_LINE = re.compile(r"^(?P<desc>[^:]+): (?P<done>\d+) \w+, (?P<rate>[\d.]+) \w+/s, elapsed \d\d:\d\d$")


def parsed(text: str, pattern=LINE) -> list[dict]:
    return [m.groupdict() for m in map(pattern.match, text.splitlines()) if m]


@pytest.mark.parametrize("bench", DEMOS, ids=[b.make_name for b in DEMOS])
def test_every_demo_console_log_holds_the_configuration_and_loadgen_progress(tmp_path, bench):
    where = tmp_path / "run_dir.txt"
    done = run([sys.executable, "-m", "harness", "demo", bench.make_name, "--run-dir-file", str(where)],
               harness_env(tmp_path, N_COUNT=COUNT, WORKERS=1, THREADS=1, OMP_NUM_THREADS=1))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = (Path(where.read_text().strip()) / "console.log").read_text()
    lines = log.splitlines()
    assert lines[0] == f"== {bench.make_name}: resolved configuration"
    assert re.search(rf"^  n_count +{COUNT} +\(N_COUNT\)$", log, re.M)
    assert log.index("(N_COUNT)") < log.index("== run directory:") < log.index("== LoadGen")
    loadgen = [line for line in lines if line.startswith("LoadGen:")]
    assert loadgen and all("\r" not in line and "\x1b" not in line for line in loadgen)
    last = parsed("\n".join(loadgen))[-1]
    assert (int(last["done"]), int(last["total"]), last["percent"]) == (COUNT, COUNT, "100"), loadgen
    assert float(last["rate"]) > 0
    if bench.report_tokens:  # the runner sums the n_tokens it reports to LoadGen
        assert float(last["tokens"]) > float(last["rate"]) * 2 - 0.1  # every response has >= 2 tokens
    else:
        assert last["tokens"] is None
    assert "LoadGen:" not in done.stdout and "LoadGen: " in done.stderr  # progress goes to stderr


def test_multistream_progress_counts_the_repeats_that_fill_its_last_query(tmp_path):
    where = tmp_path / "run_dir.txt"
    done = run([sys.executable, "-m", "harness", "demo", "resnet", "--run-dir-file", str(where)],
               harness_env(tmp_path, N_COUNT=5, SCENARIO="MultiStream", WORKERS=1, THREADS=1, OMP_NUM_THREADS=1))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_dir = Path(where.read_text().strip())
    issued = json.loads((run_dir / "result.json").read_text())["samples"]["issued"]
    last = [row for row in parsed((run_dir / "console.log").read_text()) if row["desc"] == "LoadGen"][-1]
    assert issued == 8 and (last["done"], last["total"], last["percent"]) == ("8", "8", "100")  # 5 asked


def write_lines(stream, total=50, tokens=0, pause=0.002, **options) -> progress.Progress:
    with progress.bar("step", total, stream=stream, tokens=bool(tokens), **options) as shown:
        for _ in range(total or 20):
            time.sleep(pause)
            shown.update(1, tokens)
    return shown


def test_without_a_terminal_plain_lines_come_at_every_tenth_and_at_the_end(tmp_path):
    with open(tmp_path / "log.txt", "w") as stream:
        write_lines(stream, total=50, tokens=7)
    text = (tmp_path / "log.txt").read_text()
    assert "\r" not in text and "\x1b" not in text and text.endswith("\n")
    rows = parsed(text)
    assert len(rows) == len(text.splitlines()) == 10  # the 100% line is not repeated at the end
    assert [int(r["done"]) for r in rows] == list(range(5, 51, 5))
    assert [int(r["percent"]) for r in rows] == list(range(10, 101, 10))
    for row in rows:  # both rates are over the same elapsed time
        assert float(row["tokens"]) == pytest.approx(7 * float(row["rate"]), rel=0.01)


def test_without_a_known_total_plain_lines_come_every_interval(tmp_path):
    began = time.monotonic()
    with open(tmp_path / "log.txt", "w") as stream:
        write_lines(stream, total=None, pause=0.02, interval=0.1)
    took = time.monotonic() - began
    rows = parsed((tmp_path / "log.txt").read_text(), OPEN_LINE)
    assert 2 <= len(rows) <= took / 0.1 + 1  # at most one line per interval, and the last one
    counts = [int(r["done"]) for r in rows]
    assert counts == sorted(set(counts)) and counts[-1] == 20


def test_transient_and_empty_steps_stay_quiet_unless_they_run_long(tmp_path):
    with open(tmp_path / "log.txt", "w") as stream:
        write_lines(stream, total=50, transient=True)  # a short batch: no line at all
        write_lines(stream, total=0)  # nothing to do: nothing shown
        write_lines(stream, total=20, pause=0.03, transient=True, interval=0.2)  # a long one: shown
    rows = parsed((tmp_path / "log.txt").read_text())
    assert rows and all(r["total"] == "20" for r in rows) and rows[-1]["done"] == "20"


def terminal(rows: int = 30, columns: int = 120):
    """A real pseudo-terminal: the stream a progress line draws on, and what reached the screen."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    screen = bytearray()

    def read():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            screen.extend(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stream = os.fdopen(slave, "w")

    def finish() -> str:
        stream.flush()
        time.sleep(0.2)
        stream.close()
        reader.join(2)
        os.close(master)
        return screen.decode()

    return stream, finish


@pytest.mark.parametrize("rows, columns", [(30, 120), (0, 120), (0, 0)])  # `script` without a terminal: 0 x 0
def test_on_a_terminal_one_line_is_redrawn(tmp_path, rows, columns):
    stream, finish = terminal(rows, columns)
    write_lines(stream, total=50, tokens=3, pause=0.01)
    screen = finish()
    states = [s for s in screen.split("\r") if s.strip()]
    assert len(states) >= 3 and screen.count("\n") == 1 and screen.endswith("\n")  # one line, left at the end
    assert re.search(r"step: +0%\|.*\| 0/50 samples", states[0])
    assert re.search(r"step: 100%\|.*\| 50/50 samples \[00:0\d<00:00, +[\d.]+ samples/s, [\d.]+ tokens/s\]", states[-1])
    assert not parsed(screen.replace("\r", "\n"))  # no plain lines on a terminal


def test_inside_console_log_the_terminal_gets_the_redrawn_line_and_the_log_plain_lines(tmp_path):
    stream, finish = terminal()
    saved = sys.stderr
    sys.stderr = stream
    try:
        with rundir.console_log(tmp_path / "console.log"):
            write_lines(None, total=20, pause=0.01)
    finally:
        sys.stderr = saved
    screen = finish()
    log = (tmp_path / "console.log").read_text()
    assert "\r" not in log and [int(r["done"]) for r in parsed(log)] == list(range(2, 21, 2))
    assert "\r" in screen and "20/20 samples" in screen and not parsed(screen.replace("\r", "\n"))


def test_the_core_imports_without_tqdm_and_a_step_then_names_it(tmp_path):
    code = ("import sys; sys.modules['tqdm'] = None\n"
            "import harness.cli, harness.config, harness.registry, harness.envs, harness.fetch, harness.run\n"
            "from harness import progress\n"
            "try:\n    progress.bar('step', 3)\nexcept ImportError as exc:\n    print('needs', exc.name)\n")
    done = run([sys.executable, "-c", code], harness_env(tmp_path))
    assert done.returncode == 0 and done.stdout.strip() == "needs tqdm", done.stderr


@pytest.mark.parametrize("beams", [1, 2])
def test_generation_steps_are_counted_without_changing_the_tokens(tmp_path, beams):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from language.llm.generation import step_counter

    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=64, n_positions=32, n_embd=16, n_layer=1, n_head=2)).eval()
    prompt = torch.tensor([[5, 9, 3, 7]])
    settings = dict(max_new_tokens=6, min_new_tokens=6, num_beams=beams, do_sample=False, pad_token_id=0)
    with open(tmp_path / "log.txt", "w") as stream, progress.bar("generation", 6, " steps", stream=stream) as shown:
        counted = model.generate(prompt, stopping_criteria=transformers.StoppingCriteriaList([step_counter(shown)]),
                                 **settings)
    assert shown.bar.n == 6 and parsed((tmp_path / "log.txt").read_text())[-1]["done"] == "6"
    assert torch.equal(counted, model.generate(prompt, **settings))
