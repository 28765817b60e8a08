"""Read LoadGen's detail log (``:::MLLOG {json}`` lines), as the submission checker does."""

from __future__ import annotations

import json
from pathlib import Path

PREFIX = ":::MLLOG "


def read_detail(path) -> tuple[dict, list[dict]]:
    """``({key: value of its first occurrence}, [error records])`` of a detail log."""
    values: dict = {}
    errors: list[dict] = []
    for line in Path(path).read_text(errors="replace").splitlines():
        if not line.startswith(PREFIX):
            continue
        try:
            record = json.loads(line[len(PREFIX):])
        except json.JSONDecodeError:
            continue
        values.setdefault(record["key"], record.get("value"))
        if record.get("metadata", {}).get("is_error"):
            errors.append({"key": record["key"], "value": record.get("value")})
    return values, errors


PERFORMANCE_KEYS = (
    "result_validity", "result_samples_per_second", "result_completed_samples_per_sec",
    "result_scheduled_samples_per_sec", "result_90.00_percentile_latency_ns",
    "result_99.00_percentile_latency_ns", "early_stopping_latency_ss", "early_stopping_latency_ms",
    "result_99.00_percentile_per_query_latency_ns", "result_tokens_per_second",
)


def summarize(path) -> dict:
    """The settings and results a person looks at first, plus every error LoadGen logged."""
    values, errors = read_detail(path)
    keep = ("loadgen_version", "effective_scenario", "effective_test_mode", "effective_qsl_rng_seed",
            "effective_performance_sample_count", "effective_min_duration_ms",
            "effective_min_query_count", *PERFORMANCE_KEYS, *VALIDITY_KEYS)
    out = {k: values[k] for k in keep if k in values}
    out["errors"] = errors
    return out


# Why LoadGen called a performance run INVALID: each check it logs, as its summary names it, and
# its own advice (the summary's "Recommendations", the detail log's result_invalid_reason).
VALIDITY_CHECKS = {"result_min_duration_met": "min duration not met",
                   "result_min_queries_met": "min queries not met",
                   "result_perf_constraints_met": "performance constraints (latency) not met",
                   "early_stopping_met": "early stopping not satisfied"}
VALIDITY_KEYS = (*VALIDITY_CHECKS, "result_invalid_reason", "early_stopping_result", "result_query_count",
                 "result_overlatency_query_count", "effective_target_qps", "effective_target_latency_ns")


def invalid_reasons(summary: dict) -> list[str]:
    """The checks a performance run failed, in LoadGen's words ([] for a VALID run)."""
    return [text for key, text in VALIDITY_CHECKS.items() if summary.get(key) is False]


def recommendations(summary: dict) -> list[str]:
    """LoadGen's advice on an INVALID run: the invalid reason, and the early-stopping verdict when it failed."""
    advice = [str(summary.get("result_invalid_reason") or "").strip()]
    if summary.get("early_stopping_met") is False:
        advice.append(" ".join(str(summary.get("early_stopping_result") or "").split()))
    return [a for a in advice if a]
