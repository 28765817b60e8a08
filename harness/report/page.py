"""The report page: one self-contained HTML file (inline CSS, inline SVG plots, images as data URIs,
no script or font from anywhere else), so it opens offline and can be mailed."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path

from .. import summary
from .collect import ReportData
from .plots import Plotter
from .sections import benchmark_section, diff_section, link, verdict_class, when

STYLE = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 24px auto;
       max-width: 1240px; padding: 0 16px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 20px 0 6px; } small, .meta, .files, .note { color: #57606a; }
table { border-collapse: collapse; margin: 6px 0; font-size: 12.5px; }
th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.nowrap { white-space: nowrap; } td.pass { background: #dafbe1; } td.fail { background: #ffebe9; }
td.partial { background: #fff8c5; } td.other { background: #f6f8fa; }
.plot svg { max-width: 100%; height: auto; } .files a { margin-right: 6px; font-size: 11.5px; }
.gallery { display: flex; flex-wrap: wrap; gap: 12px; }
.gallery figure { margin: 0; width: 192px; } .gallery img { image-rendering: pixelated; border: 1px solid #d0d7de; }
.gallery figcaption { font-size: 12px; overflow-wrap: anywhere; }
nav a { margin-right: 10px; } ul.targets { margin: 4px 0; } table.summary { font-size: 12px; }
table.summary td.targets { max-width: 230px; font-size: 11px; }
"""

# A page that shows what it could not show: a script error or an image that did not decode marks
# the title (and so a headless browser's DOM dump) instead of failing silently.
CHECK_SCRIPT = """
window.onerror = function (message) { document.title = "ERROR: " + message; };
window.addEventListener("load", function () {
  var broken = 0;
  for (var i = 0; i < document.images.length; i++) {
    if (!document.images[i].complete || document.images[i].naturalWidth === 0) { broken++; }
  }
  var plots = document.querySelectorAll(".plot svg").length;
  document.body.setAttribute("data-check", broken ? "broken images: " + broken : "ok: " +
    document.images.length + " images, " + plots + " plots");
  if (broken) { document.title = "ERROR: " + broken + " image(s) did not load"; }
});
"""

SUMMARY_HEADER = ("benchmark", "scenario", "mode", "data type", "v4.1 target", "ours", "ratio % of reference",
                  "verdict", "device", "date", "harness revision", "run")


def summary_table(data: ReportData, out_dir: Path) -> str:
    """Every declared benchmark: the newest run of each scenario, mode and data type against its
    targets, or the targets alone while it has no run."""
    rows = []
    for bench in data.benchmarks:
        if not bench.latest:
            targets = "; ".join(f"{t['metric']} {_window(t)}" for t in bench.targets() if t["primary"])
            rows.append(f'<tr><td>{escape(bench.name)}</td>'
                        f'<td colspan="3" class="other">no run yet</td><td class="targets">{escape(targets)}</td>'
                        + '<td>-</td>' * 7 + "</tr>")
            continue
        by_dir = {r["run_dir"]: r for r in bench.latest}
        for row in summary.records(bench.latest):
            result = by_dir[row["run_dir"]]
            if row["mode"] == "performance":
                target = "LoadGen " + (row["loadgen_validity"] or "?")
                shown = [] if row["throughput"] is None else [f"{row['throughput']:.6g} {row['throughput_unit']}"]
                if row["p99_latency_ms"] is not None:
                    shown.append(f"p99 {summary.milliseconds(row['p99_latency_ms'])} ms")
                ours = ", ".join(shown) or "-"
            else:
                target = f"{row['metric'] or '-'} {row['needed'] or ''}"
                ours = "-" if row["value"] is None else f"{row['value']:.6g}"
            ratio = "-" if row["ratio_percent"] is None else f"{row['ratio_percent']:.2f}"
            cells = [f'<a href="#bench-{escape(bench.name)}">{escape(row["benchmark"])}</a>',
                     escape(row["scenario"]), escape(row["mode"]), escape(row["data_type"]), escape(target),
                     escape(ours), ratio]
            verdict = row["label"]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells)
                        + f'<td class="{verdict_class(verdict)}">{escape(verdict)}</td>'
                        + f"<td>{escape(str(row['device'] or '-'))}</td>"
                        + f'<td class="nowrap">{escape(when(result))}</td><td>{escape(row["revision"] or "-")}</td>'
                        + f'<td class="nowrap">{link(Path(row["run_dir"]), out_dir, row["run_id"])}</td></tr>')
    head = "".join(f"<th>{escape(h)}</th>" for h in SUMMARY_HEADER)
    return f'<section id="summary"><h2>Summary</h2><table class="summary"><tr>{head}</tr>{"".join(rows)}</table></section>'


def _window(target: dict) -> str:
    if target["upper_limit"] is None:
        return f">= {target['threshold']:.10g}"
    return f"[{target['threshold']:.10g}, {target['upper_limit']:.10g}]"


def render(data: ReportData, out_dir: Path, plotter: Plotter, diff: tuple[str, str] | None = None) -> str:
    shown = data.with_runs()
    runs = sum(len(b.runs) for b in shown)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    hidden = (f" {data.hidden_demos} demo run(s) hidden (DEMO=1 shows them)." if data.hidden_demos else "")
    nav = " ".join(['<a href="#summary">summary</a>', *(['<a href="#diff">comparison</a>'] if diff else []),
                    *(f'<a href="#bench-{escape(b.name)}">{escape(b.name)}</a>' for b in shown)])
    body = [
        "<h1>MLPerf Inference v4.1: accuracy and performance report</h1>",
        f'<p class="meta">Generated {generated} from {escape(data.source)}: {runs} run(s) of {len(shown)} '
        f"benchmark(s).{escape(hidden)} PARTIAL runs ran a slice of the dataset: a check of the pipeline, "
        f"never a result. Demo runs use random weights: no accuracy claim.</p>",
        f"<nav>{nav}</nav>",
        summary_table(data, out_dir),
    ]
    if diff:
        body.append(diff_section(diff, out_dir))
    body += [benchmark_section(bench, plotter, out_dir) for bench in shown]
    if not shown:
        body.append(f"<p>No runs under {escape(data.source)} yet: run <code>make &lt;benchmark&gt;</code> first."
                    "</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>MLPerf Inference report</title><style>{STYLE}</style><script>{CHECK_SCRIPT}</script>"
            "</head><body>\n" + "\n".join(body) + "\n</body></html>\n")
