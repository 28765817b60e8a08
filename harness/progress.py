"""Progress of the long steps (LoadGen runs, preprocessing, generation, scoring), counted by tqdm.

The policy, one for every step:

- stderr is a terminal: one line that tqdm redraws (done/total, rate, elapsed, ETA);
- otherwise plain lines, each ended by a newline: at every tenth of a known total, at least every
  ``interval`` seconds while the step advances, and a last one when it ends, so that console.log
  and CI logs stay readable (no carriage returns, no escape codes);
- inside ``rundir.console_log`` on a terminal: the redrawing line on the terminal only, the plain
  lines in console.log.

A transient step (one batch of generation) draws only after a second on a terminal and leaves no
line there; as plain lines it shows only when it runs past ``interval``.

tqdm is imported when a step starts, never at import: the core modules that run before a
benchmark environment exists (cli, config, registry, envs, fetch) do not need it.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import time

INTERVAL_S = 30.0  # plain lines: at least this often while a step advances
STEPS = 10  # plain lines: at every tenth of a known total

TERMINAL_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt}{unit} [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"
TERMINAL_FORMAT_OPEN = "{desc}: {n_fmt}{unit} [{elapsed}, {rate_noinv_fmt}{postfix}]"
LINE_FORMAT = ("{desc}: {n_fmt}/{total_fmt}{unit} ({percentage:.0f}%), {rate_noinv_fmt}{postfix}, "
               "elapsed {elapsed}, ETA {remaining}")
LINE_FORMAT_OPEN = "{desc}: {n_fmt}{unit}, {rate_noinv_fmt}{postfix}, elapsed {elapsed}"


class _Null:
    """Where tqdm draws when nobody watches a redrawing line (plain lines are formatted apart)."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


@functools.cache
def _bar_class():
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: the step's own updates drive every line

        def __init__(self, *args, extra=None, **kwargs):
            self.extra = extra  # elapsed seconds -> postfix text (tokens/s); tqdm draws inside __init__
            super().__init__(*args, **kwargs)

        @property
        def format_dict(self):
            values = super().format_dict
            if self.extra is not None:
                values["postfix"] = self.extra(values["elapsed"])
            return values

    return Bar


def _outputs(stream) -> tuple[object | None, object | None]:
    """``(terminal for the redrawing line or None, stream for plain lines or None)``."""
    from .rundir import terminal_and_log

    terminal, log = terminal_and_log(stream)
    isatty = getattr(terminal, "isatty", None)
    if isatty is not None and isatty():
        return terminal, log
    return None, stream


def _has_size(terminal) -> bool:
    """Whether the terminal reports its size: a bare pseudo-terminal may say 0 columns or 0 rows,
    and tqdm, told to follow that size, would then draw nothing."""
    try:
        return terminal is not None and min(os.get_terminal_size(terminal.fileno())) > 0
    except (AttributeError, OSError, ValueError):
        return False


class Progress:
    """``update(n, tokens=0)`` as items finish; ``close()`` (or leaving the ``with`` block) ends the step.

    ``total`` None: the count is not known ahead (LoadGen's performance mode); done and rate are
    shown without a percentage or ETA. ``tokens``: also show tokens per second (LLMs), the sum of
    ``update``'s ``tokens`` over the elapsed time."""

    def __init__(self, description: str, total: int | None = None, unit: str = " samples", *,
                 tokens: bool = False, transient: bool = False, interval: float = INTERVAL_S, stream=None):
        terminal, self.lines = _outputs(sys.stderr if stream is None else stream)
        if total == 0:  # nothing to do: nothing to show
            terminal = self.lines = None
        self.total = total if total and total > 0 else None
        self.tokens, self.transient, self.interval = 0, transient, interval
        self.printed, self.printed_at = 0, None  # plain lines written so far, and the count the last one showed
        self.step = self.total / STEPS if self.total and not transient else math.inf
        self.next_step, self.next_time = self.step, time.monotonic() + interval
        self.bar = _bar_class()(
            desc=description, total=self.total, unit=unit, extra=self._tokens_rate if tokens else None,
            bar_format=TERMINAL_FORMAT if self.total else TERMINAL_FORMAT_OPEN,
            file=terminal if terminal is not None else _Null(), dynamic_ncols=_has_size(terminal),
            mininterval=0.1 if terminal is not None else math.inf, leave=not transient,
            delay=1.0 if transient and terminal is not None else 0, disable=total == 0)

    def _tokens_rate(self, elapsed: float) -> str:
        return f"{self.tokens / elapsed:.1f} tokens/s" if elapsed > 0 else "? tokens/s"

    def update(self, n: int = 1, tokens: int = 0) -> None:
        self.tokens += tokens
        self.bar.update(n)
        if self.lines is not None and (self.bar.n >= self.next_step or time.monotonic() >= self.next_time):
            self._line()

    def line(self) -> str:
        """The step as one plain line (what non-terminal output gets)."""
        values = self.bar.format_dict
        known = values["total"] and values["n"] <= values["total"]
        values["bar_format"] = LINE_FORMAT if known else LINE_FORMAT_OPEN
        values["ncols"] = None
        return re.sub(" {2,}", " ", self.bar.format_meter(**values))  # tqdm pads rates to a width

    def _line(self) -> None:
        self.lines.write(self.line() + "\n")
        self.lines.flush()
        self.printed, self.printed_at = self.printed + 1, self.bar.n
        if self.total:
            self.next_step = (math.floor(self.bar.n / self.step) + 1) * self.step
        self.next_time = time.monotonic() + self.interval

    def close(self) -> None:
        if self.bar.disable:  # closed already
            return
        if self.lines is not None and self.printed_at != self.bar.n and (not self.transient or self.printed):
            self._line()
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def bar(description: str, total: int | None = None, unit: str = " samples", **options) -> Progress:
    """A step's progress; use as ``with progress.bar("preprocessing", len(jobs), " images") as shown:``."""
    return Progress(description, total, unit, **options)


def track(items, description: str, total: int | None = None, unit: str = " samples", **options):
    """Yield ``items``, counting each one when the loop asks for the next (its body has run for it);
    total: ``len(items)`` unless given."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    with Progress(description, total, unit, **options) as shown:
        for item in items:
            yield item
            shown.update()
