"""``make summary``: the newest result of each benchmark, scenario, mode and data type against its
reference, as a text table, CSV or JSON.

Demo runs are hidden unless asked for (their numbers are no results), so a demo never hides the
real run before it; a performance run never hides the accuracy run of the same configuration.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import performance
from .verdict import format_table

# The columns of FORMAT=csv and the keys of each FORMAT=json row, in order.
FIELDS = ("benchmark", "scenario", "mode", "data_type", "n_count", "dataset_total", "target", "metric",
          "value", "needed", "threshold", "upper_limit", "reference", "ratio_percent", "pass", "verdict",
          "verdict_on_slice", "label", "loadgen_validity", "throughput", "throughput_unit", "p99_latency_ms",
          "demo", "status", "device", "started", "revision", "run_id", "run_dir")


@dataclass
class Latest:
    results: list[dict]  # the newest result of each group, sorted by group
    hidden_demos: int  # demo runs left out (DEMO=1 shows them)


def read_results(log_dir: str | Path) -> Iterator[dict]:
    """Every readable ``result.json`` under ``log_dir`` (logs/internal, the verified logs, left out),
    with ``run_dir`` set to where the run directory is now (a copied log tree keeps working)."""
    for path in sorted(Path(log_dir).glob("*/*/*/*/result.json")):
        if path.parts[-5] == "internal":
            continue
        try:
            result = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(result, dict):
            result["run_dir"] = str(path.parent)
            yield result


def group_of(result: dict) -> tuple[str, str, str, str]:
    """(benchmark make name, scenario, mode, data type): one summary line each."""
    config = result.get("config") or {}
    folders = Path(result.get("run_dir", "")).parts  # <name>/<Scenario>/<data_type>/<run>
    name = result.get("name") or (folders[-4] if len(folders) >= 4 else "?")
    mode = str(config.get("mode", "accuracy"))
    if config.get("compliance_run"):  # a compliance run never stands for the plain run of its mode
        mode = f"{mode} ({config['compliance_run']})"
    return (str(name), str(config.get("scenario", "?")), mode, str(config.get("data_type", "?")))


def newest_per_group(results, demos: bool = False) -> Latest:
    newest: dict[tuple, dict] = {}
    hidden = 0
    for result in results:
        if result.get("demo") and not demos:
            hidden += 1
            continue
        key = group_of(result)
        if key not in newest or str(result.get("started", "")) > str(newest[key].get("started", "")):
            newest[key] = result
    return Latest([newest[key] for key in sorted(newest)], hidden)


def latest_results(log_dir: str, demos: bool = False) -> Latest:
    return newest_per_group(read_results(log_dir), demos)


def records(results: list[dict]) -> list[dict]:
    """One row per checker key and metric of each result (one row for a result without targets,
    e.g. a performance run), with the LoadGen figures of performance runs."""
    out = []
    for result in results:
        name, scenario, mode, data_type = group_of(result)
        config, samples = result.get("config") or {}, result.get("samples") or {}
        perf = performance.figures(result)
        base = {
            "benchmark": name, "scenario": scenario, "mode": mode, "data_type": data_type,
            "n_count": config.get("n_count"), "dataset_total": samples.get("dataset_total"),
            "verdict": result.get("verdict"), "verdict_on_slice": result.get("verdict_on_slice"),
            "loadgen_validity": perf.get("validity"), "throughput": perf.get("throughput"),
            "throughput_unit": perf.get("unit"), "p99_latency_ms": perf.get("p99_ms"),
            "demo": bool(result.get("demo")), "status": result.get("status"), "device": config.get("device"),
            "started": result.get("started"), "revision": revision(result),
            "run_id": Path(result.get("run_dir", "")).name, "run_dir": result.get("run_dir"),
        }
        for target in result.get("targets") or [{}]:
            row = {field: None for field in FIELDS}
            row.update(base)
            row.update({
                "target": target.get("key"), "metric": target.get("metric"), "value": target.get("value"),
                "needed": needed(target) if target else None, "threshold": target.get("threshold"),
                "upper_limit": target.get("upper_limit"), "reference": target.get("reference"),
                "ratio_percent": target.get("ratio_percent"), "pass": target.get("pass"),
            })
            row["label"] = label(result, target)
            out.append(row)
    return out


def label(result: dict, target: dict) -> str:
    """The verdict as a person should read it: a slice is never a result, a demo never a claim."""
    config, samples = result.get("config") or {}, result.get("samples") or {}
    verdict = result.get("verdict") or "?"
    if result.get("compliance"):  # the test's PASS or FAIL as upstream's verification scripts decide it
        verdict = f"{result['compliance']['test']} {result['compliance']['verdict']}"
        return verdict + (f" (n={config.get('n_count', '?')})" if samples.get("partial") else "") + \
            (" (demo)" if result.get("demo") else "")
    if target:
        text = "PASS" if target.get("pass") else "FAIL"
        if verdict == "PARTIAL":  # a check on a slice, never a result
            text = f"PARTIAL ({text.lower()} on n={config.get('n_count', '?')})"
    elif verdict == "ERROR" or result.get("status") in ("failed", "interrupted", "running"):
        text = f"{verdict} ({result.get('status', '?')})"
    elif samples.get("partial"):  # a performance check on a slice, with the one-second short run
        text = f"PARTIAL (n={config.get('n_count', '?')})"
    else:
        text = verdict
    if result.get("shard"):
        text += f" (shard {result['shard'].get('index')} of {result['shard'].get('count')})"
    if result.get("demo"):
        text += " (demo)"
    return text


def revision(result: dict) -> str | None:
    """The harness commit the run used, short, with ``+dirty`` when the tree had changes."""
    harness = (result.get("provenance") or {}).get("harness") or {}
    commit = harness.get("commit")
    if not commit:
        return None
    return commit[:10] + ("+dirty" if harness.get("dirty") else "")


def needed(target: dict) -> str:
    """What the checker asks of the value: ``>= t``, or ``[t, u]`` where an upper limit exists."""
    if target.get("threshold") is None:
        return "-"
    if target.get("upper_limit") is None:
        return f">= {target['threshold']:.10g}"
    return f"[{target['threshold']:.10g}, {target['upper_limit']:.10g}]"


TEXT_HEADER = ("benchmark", "run", "mode", "target", "metric", "ours", "needed", "reference", "ratio %",
               "loadgen", "p99 ms", "verdict", "run id")


def text_rows(rows: list[dict]) -> list[tuple]:
    def number(value, spec):
        return "-" if value is None else format(value, spec)

    out = []
    for row in rows:
        ours, metric = row["value"], row["metric"]
        if row["mode"].startswith("performance"):  # the throughput is what a performance run is "ours"
            ours, metric = row["throughput"], row["throughput_unit"]
        out.append((
            row["benchmark"], f"{row['scenario']}/{row['data_type']} n={row['n_count']}", row["mode"],
            row["target"] or "-", metric or "-", number(ours, ".6g"), row["needed"] or "-",
            number(row["reference"], ".6g"), number(row["ratio_percent"], ".2f"),
            row["loadgen_validity"] or "-", milliseconds(row["p99_latency_ms"]), row["label"], row["run_id"],
        ))
    return out


def milliseconds(value: float | None) -> str:
    """A latency in ms, four significant digits, whole numbers from a second up (no exponents)."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"


def render(log_dir: str, output: str = "text", demos: bool = False) -> tuple[str, str | None]:
    """``(the summary, a note for stderr or None)``: how many demo runs were left out."""
    latest = latest_results(log_dir, demos)
    rows = records(latest.results)
    note = f"{latest.hidden_demos} demo run(s) hidden: DEMO=1 shows them" if latest.hidden_demos else None
    if output == "json":
        return json.dumps(rows, indent=1), note
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n"), note
    if not rows:
        return f"no results under {log_dir} yet: run `make <benchmark>` first", note
    return format_table(TEXT_HEADER, text_rows(rows)), note
