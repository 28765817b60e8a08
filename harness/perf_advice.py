"""What to change after an INVALID performance run: LoadGen's reasons and advice, in the terms of the
user.conf setting to edit (``*.<Scenario>.target_qps`` or ``target_latency``) and the figure measured."""

from __future__ import annotations

from .loadgen_logs import invalid_reasons, recommendations

SHOWN = ("result_validity", "result_samples_per_second", "result_completed_samples_per_sec",
         "result_scheduled_samples_per_sec", "result_90.00_percentile_latency_ns",
         "result_99.00_percentile_latency_ns", "early_stopping_latency_ss", "early_stopping_latency_ms",
         "result_tokens_per_second")


def placeholder_check(config, short: bool) -> bool:
    """A demo or partial run on the shared placeholder user.conf checks the pipeline, not the system:
    its INVALID result is expected and does not fail the command."""
    return short and config.system is None


def _measured_qps(summary: dict) -> float | None:
    value = summary.get("result_samples_per_second") or summary.get("result_completed_samples_per_sec")
    return float(value) if value else None


def advice(config, summary: dict, conf: str) -> list[str]:
    """Lines for the console and result.json: each failed check, what to change in ``conf``, LoadGen's words."""
    scenario, reasons = config.scenario, invalid_reasons(summary)
    where = f"loadgen/{conf}"
    qps, target = _measured_qps(summary), summary.get("effective_target_qps")
    lines = [f"Result is INVALID: {', '.join(reasons) or 'LoadGen gave no reason'}"]
    if "min duration not met" in reasons and scenario == "Offline":
        lines.append(f"target_qps too low: LoadGen issued target_qps ({target}) x min_duration x 1.1 samples and the "
                     f"system finished them early; set *.Offline.target_qps = {qps:.6g} (measured) or more in "
                     f"{where}, or FIND_PEAK=1 to measure it" if qps else
                     f"target_qps too low: raise *.Offline.target_qps in {where}")
    elif "min duration not met" in reasons:
        lines.append(f"the run ran out of queries before min_duration: lower *.{scenario}.target_latency "
                     f"(ms) in {where} towards the measured 90th percentile latency")
    if "performance constraints (latency) not met" in reasons:
        lines.append(f"target_qps too high for the latency bound: lower *.Server.target_qps (now {target}; "
                     f"{qps:.6g} samples/s completed) in {where}, or FIND_PEAK=1 to search the highest VALID one"
                     if scenario == "Server" and qps else
                     f"the latency percentile is above the bound: lower the load or the latency in {where}")
    if "early stopping not satisfied" in reasons:
        lines.append("too few queries, or too many over the latency bound, for LoadGen's early-stopping estimate: "
                     "a longer run (min_duration, min_query_count) or a lower target_qps")
    if "min queries not met" in reasons:
        lines.append(f"too few queries: raise *.{scenario}.target_qps or lower min_query_count in {where}")
    lines += [f"LoadGen suggests: {text}" for text in recommendations(summary)]
    return lines
