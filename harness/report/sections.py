"""The per-benchmark sections of the report (history, performance, images, runs with links to
their files) and the hook for a run-to-run comparison. Every text taken from a file is escaped."""

from __future__ import annotations

import importlib
import importlib.util
import os
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

from ..errors import HarnessError
from ..summary import label, milliseconds
from . import images
from .collect import BenchmarkRuns, metric_values, run_files
from .plots import Plotter

MAX_RUNS_LISTED = 200  # per benchmark, newest first; older runs stay in LOG_DIR


def when(result: dict) -> str:
    stamp = str(result.get("started", ""))
    return f"{stamp[:10]} {stamp[11:16]} UTC" if len(stamp) >= 16 else stamp or "?"


def dated(result: dict) -> bool:
    """Whether the run's start time can be placed on a time axis (a hand-edited file may not)."""
    try:
        datetime.fromisoformat(str(result.get("started", "")).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def link(path: Path, out_dir: Path, text: str) -> str:
    """A link relative to the page's folder, so the page and the logs can move together."""
    relative = os.path.relpath(path, out_dir)
    return f'<a href="{escape(quote(relative.replace(os.sep, "/")))}">{escape(text)}</a>'


def verdict_class(text: str) -> str:
    for word, name in (("PARTIAL", "partial"), ("PASS", "pass"), ("FAIL", "fail"), ("INVALID", "fail"),
                       ("VALID", "pass"), ("ERROR", "fail")):
        if text.startswith(word):
            return name
    return "other"


def benchmark_section(bench: BenchmarkRuns, plotter: Plotter, out_dir: Path) -> str:
    declared = bench.declaration
    title = escape(bench.name) + (f" <small>({escape(declared.id)})</small>" if declared else
                                  " <small>(not declared in this tree)</small>")
    parts = [f'<section id="bench-{escape(bench.name)}"><h2>{title}</h2>', _targets(bench)]
    history = history_data(bench)
    if history["panels"]:
        parts.append('<h3>Accuracy over time</h3><div class="plot">' + plotter.svg("history", history) + "</div>")
    if bench.performance:
        parts.append(_performance(bench, plotter))
    if bench.images_run is not None:
        parts.append(_images(bench.images_run, out_dir))
    parts.append(_runs_table(bench, out_dir))
    parts.append("</section>")
    return "\n".join(parts)


def _targets(bench: BenchmarkRuns) -> str:
    items = []
    for t in bench.targets():
        window = f"&gt;= {t['threshold']:.10g}" if t["upper_limit"] is None else \
            f"[{t['threshold']:.10g}, {t['upper_limit']:.10g}]"
        items.append(f"<li>{escape(str(t['key']))}: {escape(str(t['metric']))} {window} "
                     f"(reference {t['reference']:.10g})</li>")
    return '<ul class="targets">' + "".join(items) + "</ul>" if items else ""


def history_data(bench: BenchmarkRuns) -> dict:
    """The history plot's input: per metric, each accuracy run's value and the target bands."""
    panels = []
    targets = bench.targets()
    for metric in dict.fromkeys(t["metric"] for t in targets):
        bands = [{"key": t["key"], "lo": t["threshold"], "hi": t["upper_limit"], "primary": t["primary"]}
                 for t in targets if t["metric"] == metric]
        primary = next((b for b in bands if b["primary"]), bands[0])
        points = []
        for result in bench.runs:
            value = metric_values(result).get(metric)
            if value is None or result.get("config", {}).get("mode") == "performance" or not dated(result):
                continue
            kind = "demo" if result.get("demo") else "partial" if result.get("verdict") == "PARTIAL" else "full"
            ok = value >= primary["lo"] and (primary["hi"] is None or value <= primary["hi"])
            points.append({"t": result.get("started", ""), "v": value, "kind": kind, "pass": ok})
        if points:
            panels.append({"metric": metric, "bands": bands, "points": points})
    return {"title": f"{bench.name}: accuracy runs against the v4.1 targets", "panels": panels}


def _performance(bench: BenchmarkRuns, plotter: Plotter) -> str:
    def label(result):
        config = result.get("config", {})
        return f"{config.get('scenario', '?')}/{config.get('data_type', '?')}"

    shown = [(r, f) for r, f in bench.performance if f.get("throughput") is not None or f.get("latency_ms")]
    if not shown:
        return ""
    parts = ["<h3>Performance (newest run per scenario and data type)</h3>"]
    bars = [{"label": label(r), "value": f["throughput"], "unit": f["unit"], "valid": f["validity"] == "VALID"}
            for r, f in shown if f.get("throughput") is not None]
    if bars:
        parts.append('<div class="plot">' + plotter.svg("throughput", {
            "title": f"{bench.name}: throughput per scenario", "bars": bars}) + "</div>")
    series = [{"label": label(r), "latency": f["latency_ms"], "first_token": f["first_token_ms"]}
              for r, f in shown if f.get("latency_ms")]
    if series:
        parts.append('<div class="plot">' + plotter.svg("latency", {
            "title": f"{bench.name}: latency percentiles (mlperf_log_detail.txt)", "series": series}) + "</div>")
    names = ("min", "50.00", "90.00", "95.00", "97.00", "99.00", "99.90", "max", "mean")
    head = "".join(f"<th>{'p' + n.rstrip('0').rstrip('.') if n[0].isdigit() else n} ms</th>" for n in names)
    rows = []
    for result, fig in shown:
        cells = "".join(f"<td>{milliseconds(fig['latency_ms'].get(n))}</td>" for n in names)
        throughput = "-" if fig["throughput"] is None else f"{fig['throughput']:.6g} {fig['unit']}"
        validity = str(fig.get("validity") or "-")
        reason = f' title="{escape(str(fig["invalid_reason"]))}"' if fig.get("invalid_reason") else ""
        rows.append(f"<tr><td>{escape(label(result))}</td><td class=\"{verdict_class(validity)}\"{reason}>"
                    f"{escape(validity)}</td><td>{escape(throughput)}</td>{cells}<td>{escape(when(result))}</td></tr>")
    parts.append(f'<table class="numbers"><tr><th>scenario/data type</th><th>LoadGen</th><th>throughput</th>'
                 f"{head}<th>date</th></tr>{''.join(rows)}</table>")
    return "\n".join(parts)


def _images(result: dict, out_dir: Path) -> str:
    shown = images.thumbnails(result["run_dir"])
    if not shown:
        return ""
    cells = "".join(f'<figure><img src="{uri}" alt="{escape(name)}" width="192" height="192">'
                    f'<figcaption title="{escape(caption)}"><b>{escape(name)}</b> {escape(_clip(caption))}'
                    "</figcaption></figure>" for name, caption, uri in shown)
    folder = Path(result["run_dir"]) / "images"
    return (f"<h3>Images of the newest run that saved them ({escape(when(result))}, "
            f"{link(folder, out_dir, 'images/')})</h3><div class=\"gallery\">{cells}</div>")


def run_label(result: dict) -> str:
    """The run's verdict as the summary words it (a slice says pass/fail on its n, a demo says so)."""
    verdict = result.get("verdict")
    if result.get("targets") and verdict in ("PASS", "FAIL", "PARTIAL"):
        return label(result, {"pass": (result.get("verdict_on_slice") or verdict) == "PASS"})
    return label(result, {})


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _runs_table(bench: BenchmarkRuns, out_dir: Path) -> str:
    rows = []
    newest_first = list(reversed(bench.runs))
    for result in newest_first[:MAX_RUNS_LISTED]:
        config = result.get("config", {})
        shown = run_label(result)
        values = ", ".join(f"{k}={v:.6g}" for k, v in metric_values(result).items())
        folder = Path(result["run_dir"])
        files = " ".join(link(path, out_dir, path.name) for path in run_files(result))
        rows.append(
            f"<tr><td>{escape(when(result))}</td><td>{escape(str(config.get('scenario', '?')))}</td>"
            f"<td>{escape(str(config.get('mode', '?')))}</td><td>{escape(str(config.get('data_type', '?')))}</td>"
            f"<td>{escape(str(config.get('n_count', '?')))}</td><td class=\"{verdict_class(shown)}\">"
            f"{escape(shown)}</td><td>{escape(values) or '-'}</td>"
            f"<td>{link(folder, out_dir, folder.name)}<br><span class=\"files\">{files}</span></td></tr>")
    more = len(newest_first) - MAX_RUNS_LISTED
    note = f"<p>{more} older run(s) not listed.</p>" if more > 0 else ""
    return (f"<h3>Runs ({len(newest_first)})</h3><table class=\"runs\"><tr><th>started</th><th>scenario</th>"
            f"<th>mode</th><th>data type</th><th>n</th><th>verdict</th><th>values</th><th>run directory and files"
            f"</th></tr>{''.join(rows)}</table>{note}")


def diff_section(pair: tuple[str, str], out_dir: Path) -> str:
    """DIFF=A,B: ``harness.diff.compare(run_a, run_b) -> dict`` when that module is in this tree,
    shown generically (nested tables), with its text rendering where the module offers one."""
    a, b = (Path(p) for p in pair)
    head = (f'<section id="diff"><h2>Comparison</h2><p>A: {link(a, out_dir, a.name)} &nbsp; '
            f"B: {link(b, out_dir, b.name)}</p>")
    if importlib.util.find_spec("harness.diff") is None:
        return head + "<p class=\"note\">harness.diff is not in this tree yet: no comparison to show.</p></section>"
    module = importlib.import_module("harness.diff")
    try:
        compared = module.compare(a, b)
    except HarnessError:
        raise
    except (ValueError, OSError) as exc:  # logs that do not decode as the benchmark's outputs: say which
        raise HarnessError(f"DIFF: {exc}") from None
    text = ""
    for name in ("render", "render_text", "format_text", "to_text"):
        if callable(getattr(module, name, None)):
            text = f"<pre>{escape(str(getattr(module, name)(compared)))}</pre>"
            break
    fields = generic(compared)
    if text:  # the module's own rendering first; every field of the dict on request
        fields = f"<details><summary>every field of harness.diff.compare</summary>{fields}</details>"
    return head + text + fields + "</section>"


def generic(value, depth: int = 0) -> str:
    """Any JSON-like value as HTML: dicts as two-column tables, lists as lists, the rest as text."""
    if depth > 8:
        return escape(repr(value)[:200])
    if isinstance(value, dict):
        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{generic(v, depth + 1)}</td></tr>" for k, v in value.items())
        return f'<table class="generic">{rows}</table>'
    if isinstance(value, (list, tuple)):
        shown = list(value)[:500]
        extra = f"... {len(value) - 500} more" if len(value) > 500 else ""
        if shown and all(isinstance(v, dict) for v in shown):  # records: one table, a column per key
            keys = list(dict.fromkeys(k for v in shown for k in v))
            head = "".join(f"<th>{escape(str(k))}</th>" for k in keys)
            rows = "".join("<tr>" + "".join(f"<td>{generic(v.get(k, ''), depth + 1)}</td>" for k in keys) + "</tr>"
                           for v in shown)
            return f'<table class="generic"><tr>{head}</tr>{rows}</table>{escape(extra)}'
        items = "".join(f"<li>{generic(v, depth + 1)}</li>" for v in shown)
        return f"<ul>{items}{'<li>' + escape(extra) + '</li>' if extra else ''}</ul>"
    return escape(str(value))
