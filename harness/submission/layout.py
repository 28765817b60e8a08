"""Write the v4.1 submission tree of the chosen runs under ``<root>/<division>/<submitter>/``.

results/<system>/<model>/<Scenario>/accuracy/       accuracy.txt (with hash=), the truncated accuracy
                                                    log, mlperf_log_detail.txt, mlperf_log_summary.txt
results/<system>/<model>/<Scenario>/performance/run_1/   mlperf_log_detail.txt, mlperf_log_summary.txt
measurements/<system>/<model>/<Scenario>/           mlperf.conf, user.conf, README.md,
                                                    <system>_<implementation>_<Scenario>.json
code/<model>/<implementation>/README.md             a placeholder: the code is the user's to add
systems/<system>.json
Nothing else goes in: the checker rejects any other file in these folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..errors import HarnessError
from . import rules, systems
from .select import Export, validity
from .truncate import export_accuracy_log


def loadgen_logs_dir(result: dict) -> Path:
    """Where the run's detail and summary logs are: its own folder, or a merge's first shard (a
    merge writes only the joined accuracy log)."""
    run_dir = Path(result["run_dir"])
    if not (run_dir / "mlperf_log_detail.txt").is_file() and result.get("merged_from"):
        return Path(result["merged_from"][0])
    return run_dir


def _copy(names, source: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not (source / name).is_file():
            raise HarnessError(f"{source / name} is missing: that run directory is incomplete, so it cannot be "
                               "exported (give another run with RUNS=..., or rerun it).")
        shutil.copyfile(source / name, into / name)


def _run_line(result: dict) -> str:
    config, samples = result.get("config") or {}, result.get("samples") or {}
    outcome = result.get("verdict") if config.get("mode") == "accuracy" else f"LoadGen result {validity(result)}"
    return (f"{config.get('mode')} run `{Path(result['run_dir']).name}` ({result.get('started', '?')}): {outcome}, "
            f"{samples.get('asked', '?')} of {samples.get('dataset_total', '?')} samples, data type "
            f"{config.get('data_type')}, device {config.get('device')}, backend {config.get('backend')}")


def reproduce(result: dict, make_name: str, total: int) -> str:
    """The command that makes a run like ``result`` (a demo's through scripts/demo.sh)."""
    config = result.get("config") or {}
    settings = [f"SCENARIO={config.get('scenario')}", f"DATA_TYPE={config.get('data_type')}"]
    if config.get("n_count", total) < total:
        settings.append(f"N_COUNT={config['n_count']}")
    if config.get("backend", "reference") != "reference":
        settings.append(f"BACKEND={config['backend']}")
    if config.get("mode") == "performance":
        settings.append("MODE=performance")
    if result.get("demo"):
        return " ".join(settings) + f" bash scripts/demo.sh {make_name}"
    return f"make {make_name} " + " ".join(settings)


def measurements_readme(export: Export, key: str, system: str, dry_run: bool) -> str:
    bench = export.bench
    lines = [f"# {key}, {export.scenario}, on {system}", ""]
    if dry_run:
        lines += [f"**{systems.DRY_RUN}.**", ""]
    lines += ["Exported from these runs of the MLPerf Inference accuracy harness:", "",
              f"- {_run_line(export.accuracy)}", f"- {_run_line(export.performance)}", "",
              "To reproduce them, from the harness checkout:", "", "```",
              reproduce(export.accuracy, bench.make_name, bench.total_count),
              reproduce(export.performance, bench.make_name, bench.total_count), "```", "",
              "`user.conf` holds the LoadGen settings of the performance run; `mlperf.conf` is the v4.1 file "
              "embedded in the LoadGen wheel the runs used.", ""]
    return "\n".join(lines)


def code_readme(key: str, implementation: str, revision: str) -> str:
    return (f"# Code of the {implementation} implementation of {key}\n\n"
            "Put the code that produced these results here (or a pointer to it, with its revision). The runs came "
            f"from the MLPerf Inference accuracy harness at {revision}; with the reference backend that harness "
            "checkout is the code.\n")


def write_tree(root: Path, system: str, submitter: str, division: str, dry_run: bool,
               exports: list[Export], conf_of, system_json: dict) -> Path:
    """Write the tree; ``conf_of(performance result)`` gives the text of its mlperf.conf."""
    top = root / division / submitter
    revision = systems.harness_revision([r for e in exports for r in (e.accuracy, e.performance)])
    for export in exports:
        implementation = systems.implementation_id(export.accuracy)
        for key in export.keys:
            results = top / "results" / system / key / export.scenario
            export_accuracy_log(Path(export.accuracy["run_dir"]), results / "accuracy")
            _copy(("mlperf_log_detail.txt", "mlperf_log_summary.txt"), loadgen_logs_dir(export.accuracy),
                  results / "accuracy")
            _copy(rules.PERFORMANCE_FILES, Path(export.performance["run_dir"]), results / "performance" / "run_1")
            measurements = top / "measurements" / system / key / export.scenario
            _copy(("user.conf",), Path(export.performance["run_dir"]), measurements)
            (measurements / "mlperf.conf").write_text(conf_of(export.performance))
            (measurements / "README.md").write_text(measurements_readme(export, key, system, dry_run))
            (measurements / f"{system}_{implementation}_{export.scenario}.json").write_text(
                json.dumps(systems.implementation(export.accuracy), indent=4) + "\n")
            code = top / "code" / key / implementation
            code.mkdir(parents=True, exist_ok=True)
            (code / "README.md").write_text(code_readme(key, implementation, revision))
    (top / "systems").mkdir(parents=True, exist_ok=True)
    (top / "systems" / f"{system}.json").write_text(json.dumps(system_json, indent=4) + "\n")
    return top
