"""What a performance run measured, as a person reads it: LoadGen's validity, the throughput in the
unit the round reports for its scenario (samples/s, or tokens/s for LLMs that report tokens) and
the latency percentiles of ``mlperf_log_detail.txt``.

``result.json`` keeps only a few of LoadGen's keys (``loadgen_logs.summarize``), so the detail log
is read when the run directory still has it; only its ``result_*`` lines are parsed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .loadgen_logs import PREFIX

# Throughput keys, best first: what the v4.1 checker reports for the scenario, then what LoadGen
# states in its place (SingleStream logs queries per second, one sample per query).
THROUGHPUT_KEYS = (
    ("result_tokens_per_second", "tokens/s"),
    ("result_completed_tokens_per_second", "tokens/s"),
    ("result_samples_per_second", "samples/s"),
    ("result_completed_samples_per_sec", "samples/s"),
    ("result_qps_with_loadgen_overhead", "samples/s"),
)
PERCENTILES = ("50.00", "90.00", "95.00", "97.00", "99.00", "99.90")


def read_result_values(path) -> dict:
    """``{key: value}`` of the ``result_*`` and ``early_stopping_*`` records of a detail log (first
    occurrence wins, as in ``loadgen_logs.read_detail``); ``{}`` when the file is absent."""
    values: dict = {}
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except OSError:
        return values
    with handle:
        for line in handle:
            # a cheap test first: most lines are settings and logger statistics
            if not line.startswith(PREFIX) or ('"key": "result_' not in line and '"key": "early_' not in line):
                continue
            try:
                record = json.loads(line[len(PREFIX):])
            except json.JSONDecodeError:
                continue
            values.setdefault(record.get("key"), record.get("value"))
    return values


def figures(result: dict, run_dir: str | Path | None = None) -> dict:
    """Validity, throughput and latencies of one performance run (``{}`` of an accuracy run).

    Latencies are in milliseconds: ``latency_ms`` maps ``min``, ``50.00`` .. ``99.90``, ``max`` and
    ``mean`` to a value; ``first_token_ms`` the same for LLM Server runs that report tokens."""
    if result.get("config", {}).get("mode") != "performance":
        return {}
    values = dict((result.get("loadgen") or {}).get("summary") or {})
    folder = Path(run_dir or result.get("run_dir") or "")
    if str(folder) and folder.is_dir():
        values.update(read_result_values(folder / "mlperf_log_detail.txt"))
    throughput, unit = None, None
    for key, key_unit in THROUGHPUT_KEYS:
        if isinstance(values.get(key), (int, float)):
            throughput, unit = float(values[key]), key_unit
            break
    latency = _latencies(values, "result_{}_latency_ns", "result_{}_percentile_latency_ns")
    if not latency:  # MultiStream logs per-query latencies under their own names
        latency = _latencies(values, "result_{}_query_latency_ns", "result_{}_percentile_per_query_latency_ns")
    return {
        "validity": values.get("result_validity"),
        "throughput": throughput,
        "unit": unit,
        "p99_ms": latency.get("99.00"),
        "latency_ms": latency,
        "first_token_ms": _latencies(values, "result_first_token_{}_latency_ns",
                                     "result_first_token_{}_percentile_latency_ns"),
        "invalid_reason": values.get("result_invalid_reason") or None,
    }


def _latencies(values: dict, extreme: str, percentile: str) -> dict:
    out = {}
    for name, key in (("min", extreme.format("min")), *((p, percentile.format(p)) for p in PERCENTILES),
                      ("max", extreme.format("max")), ("mean", extreme.format("mean"))):
        if isinstance(values.get(key), (int, float)):
            out[name] = values[key] / 1e6
    return out
