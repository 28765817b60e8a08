"""``make summary``: the latest result of each benchmark against its reference."""

from __future__ import annotations

import json
from pathlib import Path

from .verdict import format_table


def latest_results(log_dir: str) -> dict[str, dict]:
    """The newest result.json per benchmark under ``log_dir`` (by start time), skipping logs/internal."""
    newest: dict[str, dict] = {}
    for path in Path(log_dir).glob("*/*/*/*/result.json"):
        if path.parts[-5] == "internal":
            continue
        try:
            result = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        name = result.get("name", path.parts[-5])  # the make name, as runs are filed
        if name not in newest or result.get("started", "") > newest[name].get("started", ""):
            newest[name] = result
    return dict(sorted(newest.items()))


def rows(results: dict[str, dict]) -> list[tuple]:
    out = []
    for name, result in results.items():
        config = result.get("config", {})
        where = f"{config.get('scenario', '?')}/{config.get('data_type', '?')} n={config.get('n_count', '?')}"
        targets = result.get("targets") or [{}]
        for target in targets:
            value, ratio = target.get("value"), target.get("ratio_percent")
            label = result.get("verdict", "?")
            if target:
                label = "PASS" if target.get("pass") else "FAIL"
            if result.get("verdict") == "PARTIAL":  # a check on a slice, never a result
                label = f"PARTIAL ({label.lower()} on n={config.get('n_count', '?')})"
            if result.get("demo"):
                label += " (demo)"
            out.append((
                name, where, target.get("key", "-"), target.get("metric", "-"),
                "-" if value is None else f"{value:.6g}",
                needed(target),
                "-" if "reference" not in target else f"{target['reference']:.6g}",
                "-" if ratio is None else f"{ratio:.2f}",
                label,
                Path(result.get("run_dir", "")).name,
            ))
    return out


def needed(target: dict) -> str:
    """What the checker asks of the value: ``>= t``, or ``[t, u]`` where an upper limit exists."""
    if "threshold" not in target:
        return "-"
    if target.get("upper_limit") is None:
        return f">= {target['threshold']:.10g}"
    return f"[{target['threshold']:.10g}, {target['upper_limit']:.10g}]"


def render(log_dir: str) -> str:
    results = latest_results(log_dir)
    if not results:
        return f"no results under {log_dir} yet: run `make <benchmark>` first"
    header = ("benchmark", "run", "target", "metric", "ours", "needed", "reference", "ratio %", "verdict", "run id")
    return format_table(header, rows(results))
