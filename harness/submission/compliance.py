"""The compliance runs of a submission: per benchmark, scenario and audit test the newest passing run
of ``make compliance_<name>`` (a demo one only in a dry run), written as the v4.1 checker walks them.

compliance/<system>/<model>/<Scenario>/TEST01/   verify_accuracy.txt, verify_performance.txt,
    accuracy/ (the audited run's truncated accuracy log, accuracy.txt with its hash= line, and, only when
    verify_accuracy.txt has no TEST PASS, baseline_accuracy.txt and compliance_accuracy.txt),
    performance/run_1/ (mlperf_log_detail.txt, mlperf_log_summary.txt)
.../TEST04/, .../TEST05/    verify_performance.txt, performance/run_1/
.../TEST06/                 verify_accuracy.txt
(check_compliance_dir, check_compliance_perf_dir, check_compliance_acc_dir; TEST01's accuracy/ as
compliance/nvidia/TEST01/run_verification.py copies it and truncate_accuracy_log.py hashes it.)
"""

from __future__ import annotations

from pathlib import Path

from ..hashing import file_digest
from . import rules
from .layout import _copy
from .select import Export, read_runs
from .truncate import accuracy_text, truncated


def choose_compliance(log_dir: str, dry_run: bool) -> dict[tuple[str, str, str], dict]:
    """(benchmark id, scenario, test) -> result.json of the newest audited run that passed."""
    chosen = {}
    for result in read_runs(log_dir):  # oldest first: a newer run replaces an older one
        block = result.get("compliance") or {}
        if block.get("verdict") != "PASS" or result.get("status") != "completed":
            continue
        if result.get("demo") and not dry_run:
            continue
        chosen[str(result["benchmark"]), str((result.get("config") or {}).get("scenario")), block["test"]] = result
    return chosen


def _score_lines(run_dir: Path) -> list[str]:
    """A scored run's accuracy.txt without its hash line (what the accuracy script printed)."""
    return [line for line in (run_dir / "accuracy.txt").read_text().splitlines() if not line.startswith("hash=")]


def write_test(into: Path, test: str, result: dict) -> list[str]:
    """One TEST<nn>/ folder; returns what is still missing from it."""
    run_dir, block, todo = Path(result["run_dir"]), result["compliance"], []
    _copy(block["files"], run_dir, into)
    if test == "TEST06":
        return todo
    _copy(rules.PERFORMANCE_FILES, run_dir, into / "performance" / "run_1")
    if test != "TEST01":
        return todo
    accuracy = into / "accuracy"
    log = run_dir / "mlperf_log_accuracy.json"
    accuracy.mkdir(parents=True, exist_ok=True)
    (accuracy / "mlperf_log_accuracy.json").write_bytes(truncated(log))
    (accuracy / "accuracy.txt").write_text(accuracy_text([], file_digest(log, "sha256")))
    if "TEST PASS" not in (into / "verify_accuracy.txt").read_text():
        # The checker then compares the scores of both logs: the reference accuracy run's is its own
        # accuracy.txt; the audited log (a sampled performance run) is not scored by the harness.
        baseline = Path(block["reference_runs"]["accuracy"])
        (accuracy / "baseline_accuracy.txt").write_text("".join(f"{line}\n" for line in _score_lines(baseline)))
        todo.append(f"add compliance_accuracy.txt to {{where}}/accuracy/: the accuracy script's output on the "
                    f"audited run's full log {log} (its verify_accuracy.txt has no TEST PASS)")
    return todo


def write_compliance(top: Path, system: str, exports: list[Export], chosen: dict) -> list[str]:
    """Write every chosen test of the exported results; returns what is still missing."""
    todo = []
    for export in exports:
        for key in export.keys:
            for test in rules.COMPLIANCE_TESTS[key]:
                result = chosen.get((export.bench.id, export.scenario, test))
                if result:
                    into = top / "compliance" / system / key / export.scenario / test
                    todo += [item.format(where=into.relative_to(top)) for item in write_test(into, test, result)]
    return todo
