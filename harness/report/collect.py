"""What the report shows, read once from the run directories: every result.json (one pass), the
declared targets, and the detail logs of only the performance runs whose latencies are drawn."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import performance, registry, summary
from ..declaration import Benchmark
from ..errors import UsageError

# Files of a run directory that the report links to, in this order, where they exist.
RUN_FILES = ("result.json", "accuracy.txt", "mlperf_log_summary.txt", "mlperf_log_detail.txt", "user.conf",
             "console.log", "mlperf_log_accuracy.json")


@dataclass
class BenchmarkRuns:
    name: str  # the make name runs are filed under
    declaration: Benchmark | None  # None: runs of a benchmark this tree no longer declares
    runs: list[dict] = field(default_factory=list)  # every result shown, oldest first
    latest: list[dict] = field(default_factory=list)  # newest per scenario, mode and data type
    performance: list[tuple[dict, dict]] = field(default_factory=list)  # newest per scenario/data type + figures
    images_run: dict | None = None  # the newest run that saved images (run_dir/images/*.png)

    def targets(self) -> list[dict]:
        """The v4.1 targets: declared, else those the newest judged run recorded."""
        if self.declaration is not None:
            return [{"key": key, "metric": t.metric, "reference": t.reference, "threshold": t.threshold,
                     "upper_limit": t.upper_limit, "primary": key == self.declaration.primary}
                    for key, targets in self.declaration.targets.items() for t in targets]
        for result in reversed(self.runs):
            if result.get("targets"):
                keys = [t["key"] for t in result["targets"]]
                return [{**t, "primary": t["key"] == keys[0]} for t in result["targets"]]
        return []


@dataclass
class ReportData:
    source: str  # LOG_DIR, or the run directories given
    benchmarks: list[BenchmarkRuns]
    hidden_demos: int

    def with_runs(self) -> list[BenchmarkRuns]:
        return [b for b in self.benchmarks if b.runs]


def read_run_dirs(run_dirs: list[str]) -> list[dict]:
    """The results of run directories named on the command line; a folder without a readable
    result.json is a usage error naming it."""
    results = []
    for run_dir in run_dirs:
        path = Path(run_dir) / "result.json"
        try:
            result = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"RUN_DIR={run_dir!r} is not valid: give run directories that hold a readable "
                             f"result.json ({exc.__class__.__name__}: {exc})") from None
        if not isinstance(result, dict):
            raise UsageError(f"RUN_DIR={run_dir!r} is not valid: its result.json holds no object")
        result["run_dir"] = str(Path(run_dir).resolve())
        results.append(result)
    return results


def collect(log_dir: str, run_dirs: list[str] | None = None, demos: bool = False) -> ReportData:
    """Every declared benchmark (with or without runs) and the runs found: those of ``run_dirs``
    when given (demos included: they were asked for by name), else every run under ``log_dir``."""
    if run_dirs:
        results, hidden, source = read_run_dirs(run_dirs), 0, f"{len(run_dirs)} run director{'y' if len(run_dirs) == 1 else 'ies'}"
    else:
        results, hidden, source = [], 0, log_dir
        for result in summary.read_results(log_dir):
            if result.get("demo") and not demos:
                hidden += 1
            else:
                results.append(result)
    by_name = {b.make_name: BenchmarkRuns(b.make_name, b) for b in registry.all_benchmarks()}
    for result in sorted(results, key=lambda r: str(r.get("started", ""))):
        name = summary.group_of(result)[0]
        by_name.setdefault(name, BenchmarkRuns(name, None)).runs.append(result)
    for bench in by_name.values():
        derive(bench)
    return ReportData(source, list(by_name.values()), hidden)


def derive(bench: BenchmarkRuns) -> None:
    """Newest runs per group, the performance figures of the newest performance run per scenario
    and data type (only their detail logs are read), and the newest run with images."""
    bench.latest = summary.newest_per_group(bench.runs, demos=True).results
    for result in bench.latest:
        if summary.group_of(result)[2] == "performance":
            bench.performance.append((result, performance.figures(result)))
    for result in reversed(bench.runs):
        if any((Path(result["run_dir"]) / "images").glob("*.png")):
            bench.images_run = result
            break


def run_files(result: dict) -> list[Path]:
    """The files of a run directory worth a link, in a fixed order, where they exist."""
    folder = Path(result["run_dir"])
    return [folder / name for name in RUN_FILES if (folder / name).is_file()]


def metric_values(result: dict) -> dict[str, float]:
    """``{metric: value}`` of an accuracy run's judged targets (first value per metric)."""
    values: dict[str, float] = {}
    for target in result.get("targets") or []:
        if isinstance(target.get("value"), (int, float)):
            values.setdefault(target["metric"], float(target["value"]))
    return values
