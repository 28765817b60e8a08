"""Compare metric values with the round's targets: one function, used by every benchmark.

Targets are transcribed from the v4.1 submission checker (``accuracy-target`` and
``accuracy-upper-limit``): a value passes when ``value >= reference * multiplier`` and, where an
upper limit exists, ``value <= reference * upper_multiplier``.
"""

from __future__ import annotations

from .declaration import Benchmark


def judge(bench: Benchmark, values: dict[str, float]) -> list[dict]:
    """One row per (checker key, metric): value, reference, threshold, upper limit, ratio, pass."""
    rows = []
    for key, targets in bench.targets.items():
        for target in targets:
            value = values.get(target.metric)
            row = {
                "key": key,
                "metric": target.metric,
                "value": value,
                "reference": target.reference,
                "threshold": target.threshold,
                "upper_limit": target.upper_limit,
                "ratio_percent": None if value is None else 100.0 * value / target.reference,
            }
            ok = value is not None and value >= target.threshold
            if ok and target.upper_limit is not None:
                ok = value <= target.upper_limit
            row["pass"] = ok
            rows.append(row)
    return rows


def overall(bench: Benchmark, rows: list[dict]) -> bool:
    """PASS when every metric of the primary checker key passes."""
    primary = [r for r in rows if r["key"] == bench.primary]
    return bool(primary) and all(r["pass"] for r in primary)


def table(rows: list[dict], partial: bool = False) -> str:
    """The verdict as a plain text table (no colour codes, so logs stay readable); a partial run's
    column says what each value would give, on its slice only."""
    header = ("target", "metric", "ours", "threshold", "upper", "ratio %", "on this slice" if partial else "verdict")
    body = []
    for r in rows:
        body.append((
            r["key"], r["metric"],
            "-" if r['value'] is None else f"{r['value']:.10g}",
            f"{r['threshold']:.10g}",
            "-" if r['upper_limit'] is None else f"{r['upper_limit']:.10g}",
            "-" if r["ratio_percent"] is None else f"{r['ratio_percent']:.2f}",
            ("pass" if r["pass"] else "fail") if partial else "PASS" if r["pass"] else "FAIL",
        ))
    return format_table(header, body)


def format_table(header: tuple, body: list[tuple]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
