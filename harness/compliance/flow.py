"""``make compliance_<name> TEST=...``: run what each compliance test needs, each LoadGen run in its
own process (LoadGen counts user-conf loads per process), then verify as upstream's scripts do.

TEST01: an accuracy run, a performance run and the audited performance run (accuracy log sampling);
TEST04, TEST05: a performance run and the audited one; TEST06: the audited run of the LLM. Reference
runs are shared by the tests of one call. The verification files land in the audited run's directory
under upstream's names, and its result.json gets a ``compliance`` block with PASS or FAIL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..declaration import load_object
from ..errors import HarnessError
from . import verify

NEEDS = {"TEST01": ("accuracy", "performance"), "TEST04": ("performance",), "TEST05": ("performance",),
         "TEST06": ()}


def sub_run(bench, role: str, mode: str, demo: bool) -> Path:
    """One run in a child process (``python -m harness run|demo``); returns its run directory."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST", "COMPLIANCE")}
    env.update(COMPLIANCE_RUN=role, MODE=mode, RESUME="0")  # a reference must compute every sample
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "run_dir"
        command = [sys.executable, "-m", "harness", "demo" if demo else "run", bench.make_name,
                   "--run-dir-file", str(where)]
        print(f"== compliance: {role} {mode} run: {' '.join(command[1:])}", flush=True)
        code = subprocess.run(command, env=env).returncode
        run_dir = Path(where.read_text().strip()) if where.is_file() else None
    result = json.loads((run_dir / "result.json").read_text()) if run_dir else {}
    if result.get("status") != "completed":  # a FAIL on a slice still leaves a usable log
        error = HarnessError(f"the {role} {mode} run of the compliance test did not finish (exit {code}); "
                             f"see {run_dir or 'its output above'}")
        error.exit_code = code if code in (2, 3, 130) else 1  # a bad setting, a missing artifact, Ctrl-C
        raise error
    return run_dir


def verify_test(bench, test: str, tested: Path, refs: dict[str, Path]) -> tuple[bool, dict[str, list[str]]]:
    """Upstream's checks for ``test``; returns (passed, {verification file name: lines})."""
    dtype = getattr(load_object(bench.codec), "dtype", "byte")
    dtype = {"byte": "b"}.get(dtype, dtype)
    files = {}
    if test == "TEST06":
        scenario = json.loads((tested / "result.json").read_text())["config"]["scenario"]
        passed, files["verify_accuracy.txt"] = verify.verify_llm_outputs(
            tested / "mlperf_log_accuracy.json", dtype, bench.eos_token_id, scenario)
        return passed, files
    perf_ok, files["verify_performance.txt"] = verify.verify_performance(
        test, refs["performance"] / "mlperf_log_summary.txt", tested / "mlperf_log_summary.txt")
    if test != "TEST01":
        return perf_ok, files
    acc_ok, files["verify_accuracy.txt"] = verify.verify_accuracy(
        refs["accuracy"] / "mlperf_log_accuracy.json", tested / "mlperf_log_accuracy.json", dtype)
    print(f"Accuracy check pass: {acc_ok}\nPerformance check pass: {perf_ok}")
    return acc_ok and perf_ok, files


def record(tested: Path, test: str, passed: bool, files: dict, refs: dict[str, Path]) -> None:
    for name, lines in files.items():
        (tested / name).write_text("".join(f"{line}\n" for line in lines))
    path = tested / "result.json"
    result = json.loads(path.read_text())
    result["compliance"] = {"test": test, "verdict": "PASS" if passed else "FAIL", "files": sorted(files),
                            "reference_runs": {mode: str(d) for mode, d in refs.items()}}
    path.write_text(json.dumps(result, indent=1) + "\n")


def run_tests(bench, tests: tuple[str, ...], demo: bool) -> int:
    refs: dict[str, Path] = {}
    verdicts = {}
    for test in tests:
        for mode in NEEDS[test]:
            if mode not in refs:
                refs[mode] = sub_run(bench, "reference", mode, demo)
        tested = sub_run(bench, test, "performance", demo)
        used = {mode: refs[mode] for mode in NEEDS[test]}
        passed, files = verify_test(bench, test, tested, used)
        record(tested, test, passed, files, used)
        for name, lines in files.items():
            print(f"-- {test} {name}\n" + "\n".join(lines))
        verdicts[test] = "PASS" if passed else "FAIL"
        print(f"== {bench.make_name} {test}: {verdicts[test]}  ({tested})", flush=True)
    print("== compliance: " + ", ".join(f"{t} {v}" for t, v in verdicts.items()))
    return 0 if all(v == "PASS" for v in verdicts.values()) else 1
