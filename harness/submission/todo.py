"""What a written tree still lacks before the v4.1 checker accepts it, item by item: fields only the
user knows, code, compliance tests, scenarios, and what the chosen runs' own logs show the checker
will reject (read from the detail logs as ``check_performance_dir`` reads them)."""

from __future__ import annotations

import json
from pathlib import Path

from ..loadgen_logs import read_detail
from . import rules, systems
from .select import Export


def performance_problems(export: Export, key: str) -> list[str]:
    """The performance run's detail-log values that ``check_performance_dir`` rejects."""
    values, errors = read_detail(Path(export.performance["run_dir"]) / "mlperf_log_detail.txt")
    where, problems = f"{key} {export.scenario} performance run", []
    if values.get("result_validity") != "VALID":
        problems.append(f"{where}: LoadGen's result is {values.get('result_validity')}")
    if errors:
        problems.append(f"{where}: LoadGen logged {len(errors)} error(s) in mlperf_log_detail.txt")
    if values.get("effective_min_duration_ms", 0) < rules.MIN_DURATION_MS:
        problems.append(f"{where}: min_duration {values.get('effective_min_duration_ms')} ms, the checker needs "
                        f"{rules.MIN_DURATION_MS} (run the whole dataset: no N_COUNT)")
    if values.get("effective_performance_sample_count", 0) < rules.PERFORMANCE_SAMPLE_COUNT[key]:
        problems.append(f"{where}: performance_sample_count {values.get('effective_performance_sample_count')}, "
                        f"the checker needs {rules.PERFORMANCE_SAMPLE_COUNT[key]}")
    spq = rules.OFFLINE_MIN_SAMPLES_PER_QUERY[key]
    if export.scenario == "Offline" and values.get("effective_samples_per_query", 0) < spq:
        problems.append(f"{where}: {values.get('effective_samples_per_query')} samples per query, the checker needs "
                        f"{spq} (set *.Offline.target_qps in loadgen/user.conf to the system's throughput)")
    if export.scenario in rules.EARLY_STOPPING_SCENARIOS and not values.get("early_stopping_met"):
        problems.append(f"{where}: LoadGen's early stopping condition was not met (a longer run is needed)")
    return problems


def still_to_do(exports: list[Export], system_json: dict, top: Path, system: str, division: str,
                dry_run: bool, notes: list[str]) -> list[str]:
    todo = [f"{systems.DRY_RUN}."] if dry_run else []
    empty = [f for f in rules.SYSTEM_MEANINGFUL_FIELDS if not system_json.get(f)]
    if empty:
        todo.append(f"fill in systems/{system}.json: {', '.join(empty)}")
    todo += [f"check systems/{system}.json: {note}" for note in notes]
    for path in sorted(top.glob(f"measurements/{system}/*/*/{system}_*.json")):
        missing = [k for k, v in json.loads(path.read_text()).items() if not v]
        if missing:
            todo.append(f"fill in {path.relative_to(top)}: {', '.join(missing)}")
    todo += [f"put the code in {p.parent.relative_to(top)}/ (it holds a placeholder README.md)"
             for p in sorted(top.glob("code/*/*/README.md"))]
    system_type = system_json["system_type"]
    for key in sorted({k for e in exports for k in e.keys}):
        done = {e.scenario for e in exports if key in e.keys}
        needed = rules.REQUIRED_SCENARIOS[system_type].get(key)
        if division == "closed" and needed is None:
            todo.append(f"{key} is no {system_type} benchmark in v4.1: change system_type or leave it out")
        elif division == "closed" and set(needed) - done:
            todo.append(f"results/{system}/{key}: a closed {system_type} result also needs "
                        f"{', '.join(s for s in needed if s not in done)}")
        if division == "closed" and rules.COMPLIANCE_TESTS[key]:
            make_name = next(e.bench.make_name for e in exports if key in e.keys)
            for scenario in sorted(done):
                missing = [t for t in rules.COMPLIANCE_TESTS[key]
                           if not (top / "compliance" / system / key / scenario / t).is_dir()]
                if missing:
                    todo.append(f"add compliance/{system}/{key}/{scenario}/ with {', '.join(missing)} (no passing "
                                f"run of `make compliance_{make_name} TEST=...` for it under LOG_DIR)")
    for export in exports:
        for key in export.keys:
            if export.accuracy.get("verdict") != "PASS":
                todo.append(f"{key} {export.scenario} accuracy run: its verdict is {export.accuracy.get('verdict')}, "
                            "not PASS")
            todo += performance_problems(export, key)
    return todo
