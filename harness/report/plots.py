"""The report's plots as inline SVG text (matplotlib, no pyplot state; only ``make report`` imports
this module). Each plot is a pure function of a small JSON-able dict, so a drawn SVG is kept in a
cache folder under its digest and a report regenerated after one new run redraws only what changed."""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

# A cached SVG is valid for this very drawing code: editing this file redraws every plot.
PLOTS_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
         "font.family": "DejaVu Sans"}  # shipped with matplotlib; the browser falls back where absent
PASS, FAIL, OTHER = "#1a7f37", "#cf222e", "#6e7781"
LATENCY_POINTS = ("min", "50.00", "90.00", "95.00", "97.00", "99.00", "99.90", "max")


class Plotter:
    """Draws plots, through an SVG cache folder when one is given (hits and misses are counted)."""

    def __init__(self, cache_dir: str | Path | None = None):
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.hits = self.misses = 0
        self.used: set[str] = set()

    def svg(self, kind: str, data: dict) -> str:
        text = json.dumps([PLOTS_VERSION, matplotlib.__version__, kind, data], sort_keys=True, default=str)
        key = hashlib.sha256(text.encode()).hexdigest()[:32]
        self.used.add(key)
        cached = self.cache_dir / f"{key}.svg" if self.cache_dir else None
        if cached is not None and cached.is_file():
            self.hits += 1
            return cached.read_text(encoding="utf-8")
        self.misses += 1
        with matplotlib.rc_context(STYLE):
            svg = DRAWERS[kind](data)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_suffix(f".{os.getpid()}.tmp")
                partial.write_text(svg, encoding="utf-8")
                partial.replace(cached)
            except OSError:  # a cache that cannot be written only costs time
                pass
        return svg

    def prune(self) -> None:
        """Drop cached plots this report did not use (the cache holds one report's plots)."""
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return
        for path in self.cache_dir.glob("*.svg"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


def to_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element (no XML prolog, no date: the page stays reproducible)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def frame(figure: Figure, left: float, top: float, bottom: float, right: float = 0.25, **spacing) -> None:
    """Fixed margins in inches. Measured layouts (tight, constrained) draw every text once more
    to measure it and cost two thirds of a plot's time; these plots' texts have known sizes."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                           bottom=bottom / height, **spacing)


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)


def history(data: dict) -> str:
    """One panel per metric: each run's value over time against the target band (shaded: the
    primary target's window; dashed: the other targets' thresholds). Filled: a full run; hollow:
    a partial run (a slice); x: a demo. Green passes its target on what it ran, red does not."""
    panels = data["panels"]
    columns = 1 if len(panels) <= 2 else 2
    rows = -(-len(panels) // columns)
    figure = Figure(figsize=(9.5 if columns == 2 else 8, 2.3 * rows + 0.5))
    frame(figure, left=0.75, top=0.55, bottom=0.5, hspace=0.55, wspace=0.22)
    for number, panel in enumerate(panels, 1):
        ax = figure.add_subplot(rows, columns, number)
        for band in panel["bands"]:
            if band["primary"]:
                top = band["hi"] if band["hi"] is not None else None
                if top is not None:
                    ax.axhspan(band["lo"], top, color=PASS, alpha=0.12, lw=0)
                ax.axhline(band["lo"], color=PASS, lw=1, label=f"{band['key']} target")
                if top is not None:
                    ax.axhline(top, color=PASS, lw=1)
            else:
                ax.axhline(band["lo"], color=PASS, lw=0.8, ls="--", label=f"{band['key']} target")
        points = sorted(panel["points"], key=lambda p: p["t"])
        times = [_when(p["t"]) for p in points]
        ax.plot(times, [p["v"] for p in points], color=OTHER, lw=0.6, alpha=0.6)
        for kind, marker, fill in (("full", "o", True), ("partial", "o", False), ("demo", "x", True)):
            for passed in (True, False):
                chosen = [(t, p["v"]) for t, p in zip(times, points) if p["kind"] == kind and p["pass"] == passed]
                if not chosen:
                    continue
                colour = PASS if passed else FAIL
                # an "x" has no face: its colour is its line colour
                edges = {} if marker == "x" else {"edgecolors": colour}
                ax.scatter([c[0] for c in chosen], [c[1] for c in chosen], marker=marker, s=22, zorder=3,
                           color=colour if fill else "none", linewidths=1.2,
                           label=f"{kind} run, {'pass' if passed else 'fail'}", **edges)
        for band in panel["bands"]:  # a one-sided target: everything above its threshold passes
            if band["primary"] and band["hi"] is None:
                bottom, top = ax.get_ylim()
                ax.axhspan(band["lo"], max(top, band["lo"]), color=PASS, alpha=0.07, lw=0)
                ax.set_ylim(bottom, top)
        ax.set_title(panel["metric"], fontsize=9, loc="left")
        _time_axis(ax, times)
        ax.grid(alpha=0.25)
        if number == 1:
            ax.legend(fontsize=7, loc="best", frameon=False)
    figure.suptitle(data["title"], x=0.01, ha="left", fontsize=10)
    return to_svg(figure)


def _time_axis(ax, times: list[datetime]) -> None:
    """Dates that read at any span: runs minutes apart are not drawn on an axis of years."""
    from matplotlib import dates

    pad = max((max(times) - min(times)) * 0.05, timedelta(minutes=30))
    ax.set_xlim(min(times) - pad, max(times) + pad)
    locator = dates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=7)


def latency(data: dict) -> str:
    """Latency percentiles (ms) of each run, min to max; dashed: time to first token where logged."""
    figure = Figure(figsize=(8, 3.2))
    frame(figure, left=0.8, top=0.35, bottom=0.35)
    ax = figure.add_subplot(1, 1, 1)
    spread = []
    for series in data["series"]:
        for values, style, suffix in ((series["latency"], "-", ""), (series.get("first_token") or {}, "--",
                                                                        " first token")):
            points = [(i, values[name]) for i, name in enumerate(LATENCY_POINTS) if name in values]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], style, marker="o", ms=3,
                        label=series["label"] + suffix)
                spread += [p[1] for p in points]
    if spread and min(spread) > 0 and max(spread) / min(spread) > 50:
        ax.set_yscale("log")
    ax.set_xticks(range(len(LATENCY_POINTS)), ["min", "p50", "p90", "p95", "p97", "p99", "p99.9", "max"])
    ax.set_ylabel("latency (ms)")
    ax.grid(alpha=0.25)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(data["title"], fontsize=10, loc="left")
    return to_svg(figure)


def throughput(data: dict) -> str:
    """The throughput of each scenario's newest performance run, one panel per unit; grey bars are
    runs LoadGen declared INVALID."""
    units = sorted({bar["unit"] for bar in data["bars"]})
    height = 0.6 + sum(0.35 * sum(b["unit"] == u for b in data["bars"]) + 0.6 for u in units)
    figure = Figure(figsize=(8, height))
    longest = max(len(b["label"]) for b in data["bars"])
    frame(figure, left=0.3 + 0.075 * longest, top=0.45, bottom=0.5, right=1.0, hspace=0.9)
    for number, unit in enumerate(units, 1):
        bars = [b for b in data["bars"] if b["unit"] == unit]
        ax = figure.add_subplot(len(units), 1, number)
        colours = [PASS if b["valid"] else OTHER for b in bars]
        ax.barh(range(len(bars)), [b["value"] for b in bars], color=colours, height=0.6)
        ax.set_yticks(range(len(bars)), [b["label"] for b in bars], fontsize=8)
        ax.invert_yaxis()
        for i, bar in enumerate(bars):
            ax.annotate(f" {bar['value']:.4g} {'' if bar['valid'] else '(INVALID)'}", (bar["value"], i),
                        va="center", fontsize=7)
        ax.set_xlabel(unit)
        ax.margins(x=0.25)
    figure.suptitle(data["title"], x=0.01, ha="left", fontsize=10)
    return to_svg(figure)


DRAWERS = {"history": history, "latency": latency, "throughput": throughput}
