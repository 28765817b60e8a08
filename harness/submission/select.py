"""Which runs a submission holds: per benchmark and scenario, one accuracy run and one performance
run of the same data type and backend, exported under each v4.1 checker key the accuracy run passes.

By default the newest eligible runs under LOG_DIR; ``RUNS=dir,dir`` names them instead. Demo runs,
and runs that did not pass (a PARTIAL demo, an INVALID performance result), go only into a dry run
(``DEMO=1``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import registry
from ..declaration import Benchmark
from ..errors import UsageError
from . import rules


@dataclass
class Export:
    bench: Benchmark
    scenario: str
    accuracy: dict  # result.json of the accuracy run, "run_dir" set to where it is now
    performance: dict
    keys: tuple[str, ...]  # the checker keys (results/<system>/<key>/) it goes under


@dataclass
class Selection:
    exports: list[Export] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was left out, and why


def read_run(run_dir: Path) -> dict:
    result = json.loads((run_dir / "result.json").read_text())
    result["run_dir"] = str(run_dir)
    return result


def read_runs(log_dir: str) -> list[dict]:
    """Every run under LOG_DIR (the verified logs in logs/internal/ left out), oldest first."""
    runs = []
    for path in Path(log_dir).glob("*/*/*/*/result.json"):
        if path.parts[-5] != "internal":
            try:
                runs.append(read_run(path.parent))
            except (OSError, ValueError):
                continue
    return sorted(runs, key=_when)


def _when(result: dict) -> tuple[str, str]:
    return str(result.get("started", "")), Path(result["run_dir"]).name


def mode_of(result: dict) -> str:
    return (result.get("config") or {}).get("mode", "accuracy")


def validity(result: dict) -> str:
    """LoadGen's verdict on a performance run (VALID or INVALID), as its detail log states it."""
    return str(((result.get("loadgen") or {}).get("summary") or {}).get("result_validity", "unknown"))


def refusal(result: dict, dry_run: bool) -> str | None:
    """Why this run cannot go into the tree, or None."""
    if result.get("status") != "completed":
        return f"it did not complete (status {result.get('status')})"
    if result.get("shard"):
        return "it is one shard: export the run that `python -m harness merge` made of the shards"
    try:
        bench = registry.get(str(result.get("benchmark")))
    except UsageError:
        return f"this tree declares no benchmark {result.get('benchmark')!r}"
    if bench.primary not in rules.MODELS:
        return f"{bench.make_name} is no v4.1 benchmark (the v4.1 checker knows no model {bench.primary!r})"
    if (result.get("config") or {}).get("compliance_run"):
        return "it is part of a compliance test (exported under compliance/ when it is an audited run that passed)"
    if (result.get("find_peak") or {}).get("role") == "probe":
        return "it is a FIND_PEAK probe (a short search run): export the confirming run that lists it"
    if result.get("demo") and not dry_run:
        return "it is a demo run (random weights, generated data): DEMO=1 exports demo runs as a dry run"
    if dry_run:
        return None
    if mode_of(result) == "accuracy" and result.get("verdict") != "PASS":
        return f"its verdict is {result.get('verdict')}, not PASS (DEMO=1 exports it as a dry run)"
    if mode_of(result) == "performance":
        if (result.get("samples") or {}).get("partial"):
            return "it is a short run (N_COUNT below the dataset: one-second minimum duration), not a submission run"
        if validity(result) != "VALID":
            return f"LoadGen's result is {validity(result)}, not VALID (DEMO=1 exports it as a dry run)"
    return None


def model_keys(bench: Benchmark, accuracy: dict, dry_run: bool) -> tuple[str, ...]:
    """The primary key, and each other checker key whose every target the accuracy run met
    (a run passing bert-99.9 is a bert-99 result too); a dry run goes under the primary key only."""
    if dry_run:
        return (bench.primary,)
    rows = accuracy.get("targets") or []

    def met(key: str) -> bool:
        judged = [r["pass"] for r in rows if r["key"] == key]
        return bool(judged) and all(judged)

    return tuple(k for k in bench.targets if (k == bench.primary or met(k)) and k in rules.MODELS)


def _same_implementation(a: dict, b: dict) -> bool:
    ca, cb = a.get("config") or {}, b.get("config") or {}
    return ca.get("data_type") == cb.get("data_type") and ca.get("backend") == cb.get("backend")


def _pairing_key(result: dict) -> str | None:
    """The configuration key a run records (result.json "pairing"); None for runs older than it."""
    return (result.get("pairing") or {}).get("key")


def _pair(accuracy: dict, performance: list[dict]) -> dict:
    """The newest performance run of the accuracy run's configuration key (same system, device type,
    artifacts...), else the newest of its data type and backend."""
    same_key = [p for p in performance if _pairing_key(accuracy) and _pairing_key(p) == _pairing_key(accuracy)]
    return (same_key or performance)[-1]


def _group(result: dict) -> tuple[str, str]:
    return str(result["benchmark"]), str((result.get("config") or {}).get("scenario"))


def choose_latest(log_dir: str, dry_run: bool) -> Selection:
    """The newest eligible accuracy run per benchmark and scenario, with the newest eligible
    performance run of the same data type and backend, one of its configuration key first."""
    selection, skipped = Selection(), Counter()
    groups: dict[tuple[str, str], dict[str, list[dict]]] = {}
    found = read_runs(log_dir)
    if not found:
        selection.notes.append(f"no run directories under {log_dir} (logs/<name>/<Scenario>/<data type>/<run>/)")
    for result in found:
        why = refusal(result, dry_run)
        if why:
            skipped[why] += 1
            continue
        groups.setdefault(_group(result), {"accuracy": [], "performance": []})[mode_of(result)].append(result)
    for (bench_id, scenario), runs in sorted(groups.items()):
        bench = registry.get(bench_id)
        if not runs["accuracy"]:
            selection.notes.append(f"{bench.make_name} {scenario}: a performance run, but no accuracy run to pair")
            continue
        accuracy = runs["accuracy"][-1]
        matching = [p for p in runs["performance"] if _same_implementation(p, accuracy)]
        if not matching:
            selection.notes.append(
                f"{bench.make_name} {scenario}: no performance run of the accuracy run's data type and backend "
                f"({accuracy['run_dir']}): run `make {bench.make_name} SCENARIO={scenario} MODE=performance`")
            continue
        selection.exports.append(Export(bench, scenario, accuracy, _pair(accuracy, matching),
                                        model_keys(bench, accuracy, dry_run)))
    selection.notes += [f"{count} run(s) left out: {why}" for why, count in sorted(skipped.items())]
    return selection


def choose_given(run_dirs: tuple[str, ...], dry_run: bool) -> Selection:
    """RUNS=...: exactly one accuracy and one performance run per benchmark and scenario."""
    groups: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for run_dir in run_dirs:
        try:
            result = read_run(Path(run_dir))
        except (OSError, ValueError) as exc:
            raise UsageError(f"RUNS: {run_dir}/result.json cannot be read ({exc}).") from None
        why = refusal(result, dry_run)
        if why:
            raise UsageError(f"RUNS: {run_dir} cannot be exported: {why}.")
        groups.setdefault(_group(result), {"accuracy": [], "performance": []})[mode_of(result)].append(result)
    selection = Selection()
    for (bench_id, scenario), runs in sorted(groups.items()):
        bench = registry.get(bench_id)
        counts = {mode: len(found) for mode, found in runs.items()}
        if counts != {"accuracy": 1, "performance": 1}:
            raise UsageError(f"RUNS gives {counts['accuracy']} accuracy and {counts['performance']} performance "
                             f"run(s) of {bench.make_name} {scenario}: give exactly one of each.")
        accuracy, performance = runs["accuracy"][0], runs["performance"][0]
        if not _same_implementation(accuracy, performance):
            raise UsageError(f"RUNS: the accuracy run {accuracy['run_dir']} and the performance run "
                             f"{performance['run_dir']} differ in data type or backend: a result needs both of one "
                             "implementation.")
        selection.exports.append(Export(bench, scenario, accuracy, performance, model_keys(bench, accuracy, dry_run)))
    return selection
