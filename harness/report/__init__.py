"""``make report``: one self-contained HTML page of every benchmark's runs against the v4.1 targets.

``collect`` reads the runs (no plotting library), ``plots`` draws SVG with matplotlib, ``images``
embeds saved images, ``sections`` and ``page`` write the HTML. Only ``generate`` ties them
together; the core run path never imports this package.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_FOLDER = ".report-cache"  # under LOG_DIR: the SVGs of the last report, reused when unchanged


def generate(log_dir: str, out: str | Path, run_dirs: list[str] | None = None, demos: bool = False,
             diff: tuple[str, str] | None = None, cache: bool = True) -> dict:
    """Write the report to ``out`` (atomically) and say what it holds: benchmarks, runs, plots
    drawn and reused from the cache."""
    from ..errors import HarnessError
    from .collect import collect
    from .page import render
    from .plots import Plotter

    out = Path(out).resolve()
    data = collect(log_dir, run_dirs, demos)
    plotter = Plotter(Path(log_dir) / CACHE_FOLDER if cache else None)
    html = render(data, out.parent, plotter, diff)
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(html, encoding="utf-8")
        partial.replace(out)
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    if not run_dirs:  # a report of the whole LOG_DIR defines what the cache keeps
        plotter.prune()
    return {"out": str(out), "benchmarks": len(data.with_runs()), "runs": sum(len(b.runs) for b in data.benchmarks),
            "hidden_demos": data.hidden_demos, "plots_drawn": plotter.misses, "plots_cached": plotter.hits,
            "bytes": len(html.encode("utf-8"))}
