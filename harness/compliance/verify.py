"""The checks of upstream's compliance verification scripts (compliance/nvidia/TEST*/ of v4.1), with
their thresholds, each returning ``(passed, lines)``: the lines are what the script prints into its
verify_*.txt (a ``sys.exit`` message, which upstream sends to stderr, is kept as the last line)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

# verify_performance.py of each test: the band the test's score must lie in around the reference's
PERF_RULES = {"TEST01": 0.10, "TEST04": 0.10, "TEST05": 0.05}


def _summary(path: Path, invert_stream: bool) -> tuple[str, object, str | None, str | None, list[str]]:
    """(scenario, score, target latency, exit message, warnings) as verify_performance.py reads them."""
    mode, score, latency, warnings = "", 0, None, []
    for line in Path(path).read_text().splitlines(keepends=True):
        if re.match("Scenario", line):
            mode = line.split(": ", 1)[1].strip()
            continue
        stream = {"SingleStream": ".*Early stopping 90th percentile estimate",
                  "MultiStream": ".*Early stopping 99th percentile estimate"}.get(mode)
        if stream and re.match(stream, line):
            score = line.split(": ", 1)[1].strip()
            score = 1e9 / float(score) if invert_stream else score
            continue
        if mode == "Server" and re.match("Completed samples per second", line):
            score = line.split(": ", 1)[1].strip()
            continue
        if mode == "Server" and re.match(r"target_latency \(ns\)", line):
            latency = line.split(": ", 1)[1].strip()
            continue
        if mode == "Offline" and re.match("Samples per second", line):
            score = line.split(": ", 1)[1].strip()
            continue
        if re.match("Result is", line) and line.split(": ", 1)[1].strip() == "INVALID":
            return mode, score, latency, "INVALID", warnings
        if re.match(r"\d+ ERROR", line):
            warnings.append(line.split(" ", 1)[0].strip())
    return mode, score, latency, None, warnings


def verify_performance(test: str, reference: Path, tested: Path) -> tuple[bool, list[str]]:
    """TEST01/TEST04/TEST05 verify_performance.py on two mlperf_log_summary.txt files."""
    invert = test == "TEST04"  # TEST04 compares throughputs in every scenario
    lines = ["Verifying performance."]
    ref_mode, ref_score, ref_latency, bad, warns = _summary(reference, invert)
    lines += [f"WARNING: {w} ERROR reported in reference results" for w in warns]
    if bad:
        return False, lines + ["TEST FAIL: Reference results are invalid"]
    mode, score, latency, bad, warns = _summary(tested, invert)
    if mode == "Server" and latency != ref_latency:
        return False, lines + ["TEST FAIL: Server target latency mismatch"]
    lines += [f"WARNING: {w} ERROR reported in test results" for w in warns]
    if bad:
        return False, lines + ["TEST FAIL: Test results are invalid"]
    if mode != ref_mode:
        return False, lines + ["Test and reference scenarios do not match!"]
    lines += [f"reference score = {ref_score}", f"test score = {score}"]
    ref, value, threshold = float(ref_score), float(score), PERF_RULES[test]
    if (ref_mode == "SingleStream" and ref <= 200000) or (ref_mode == "MultiStream" and ref <= 1600000):
        threshold = 0.20  # short latencies vary more from run to run
    if test == "TEST01":
        passed = ref * (1 - threshold) < value < ref * (1 + threshold)
    elif test == "TEST04":  # the same sample over and over must not be faster than the real mix
        passed = value < ref * (1 + threshold)
    else:  # TEST05: the other seeds must not be slower
        passed = value > ref * (1 - threshold) if ref_mode in ("Offline", "Server") else value < ref * (1 + threshold)
    return passed, lines + (["TEST PASS"] if passed else ["TEST FAIL: Test score invalid"])


def verify_accuracy(reference_log: Path, test_log: Path, dtype: str) -> tuple[bool, list[str]]:
    """TEST01 verify_accuracy.py: every logged response of the performance run must have the first
    element (in ``dtype``) of the accuracy run's response to the same sample."""
    acc, perf = json.loads(Path(reference_log).read_text()), json.loads(Path(test_log).read_text())
    seen, dup, acc_mismatch, matched, mismatched, missing = {}, 0, 0, 0, 0, 0
    for entry in acc:
        if entry["qsl_idx"] in seen:
            dup += 1
            acc_mismatch += seen[entry["qsl_idx"]] != entry["data"]
        else:
            seen[entry["qsl_idx"]] = entry["data"]
    for entry in perf:
        data = np.frombuffer(bytes.fromhex(entry["data"]), dtype)
        if entry["qsl_idx"] in seen:
            matched += 1
            ref = np.frombuffer(bytes.fromhex(seen[entry["qsl_idx"]]), dtype)
            if ref.size == 0 or data.size == 0:
                mismatched += ref.size != data.size
            elif data[0] != ref[0]:
                mismatched += 1
        else:
            missing += 1
        seen[entry["qsl_idx"]] = entry["data"]
    passed = mismatched == 0 and matched > 0
    return passed, ["Verifying accuracy. This might take a while...", "Reading accuracy mode results...",
                    "Reading performance mode results...", f"num_acc_log_entries = {len(acc)}",
                    f"num_acc_log_duplicate_keys = {dup}", f"num_acc_log_data_mismatch = {acc_mismatch}",
                    f"num_perf_log_entries = {len(perf)}", f"num_perf_log_qsl_idx_match = {matched}",
                    f"num_perf_log_data_mismatch = {mismatched}", f"num_missing_qsl_idxs = {missing}",
                    "TEST PASS" if passed else "TEST FAIL", ""]


def _eos_ok(entries, dtype, eos: int) -> bool:
    """Trailing EOS tokens: two or more only as the whole output [EOS, EOS] (the first such sample decides)."""
    for entry in entries:
        data = np.frombuffer(bytes.fromhex(entry["data"]), dtype)
        count, i = 0, data.shape[0] - 1
        while i > 0:
            count += data[i] == eos
            if count >= 2:
                return len(data) == 2
            if data[i] != eos:
                break
            i -= 1
    return True


def verify_llm_outputs(log: Path, dtype: str, eos: int, scenario: str) -> tuple[bool, list[str]]:
    """TEST06 run_verification.py: the first token reported (outside Offline) begins the output, no
    extra EOS at the end, and the token count reported to LoadGen is the output's length."""
    entries = json.loads(Path(log).read_text())
    eos_pass = _eos_ok(entries, dtype, eos)
    outputs = [np.frombuffer(bytes.fromhex(e["data"]), dtype) for e in entries]
    first = "Skipped"
    if scenario != "Offline":  # upstream: an entry without token_data fails the check
        first = all("token_data" in e and all(a == b for a, b in zip(o, np.frombuffer(
            bytes.fromhex(e["token_data"]), dtype))) for e, o in zip(entries, outputs))
    length = all("token_count" in e and len(o) == int(e["token_count"]) for e, o in zip(entries, outputs))
    passed = eos_pass and first in (True, "Skipped") and length
    return passed, [f"First token check pass: {first}", f"EOS check pass: {eos_pass}",
                    f"Sample length check pass: {length}",
                    "TEST06 verification complete" if passed else "TEST06 verification failed"]
