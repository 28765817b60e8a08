"""``make submission``: the chosen runs as a v4.1 submission tree, what the user must still add,
and upstream's checker verdict on the tree when SUBMISSION_CHECKER names a checkout."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import UsageError
from ..registry import ROOT
from . import systems
from .checker import run_checker
from .compliance import choose_compliance, write_compliance
from .layout import write_tree
from .mlperf_conf import mlperf_conf
from .select import Export, choose_given, choose_latest, read_run, validity
from .todo import still_to_do


def _conf_reader(exports: list[Export], env_dir: Path):
    """mlperf.conf text per performance run, all read before anything is written."""
    environments = [env_dir / e.bench.id for e in exports] + [ROOT / ".venv"]
    texts = {}
    for export in exports:
        run = export.performance
        version = ((run.get("provenance") or {}).get("packages") or {}).get("mlcommons-loadgen", "unknown")
        seed = ((run.get("loadgen") or {}).get("summary") or {}).get("effective_qsl_rng_seed")
        texts[run["run_dir"]] = mlperf_conf(version, seed, environments)
    return lambda run: texts[run["run_dir"]]


def _readme(exports: list[Export], top: Path, todo: list[str], dry_run: bool) -> str:
    lines = ["# MLPerf Inference v4.1 submission tree", ""]
    if dry_run:
        lines += [f"**{systems.DRY_RUN}.**", ""]
    lines += [f"Exported by `make submission` into `{top.parent.name}/{top.name}/`:", ""]
    for e in exports:
        lines.append(f"- {', '.join(e.keys)} {e.scenario}: accuracy `{e.accuracy['run_dir']}`, "
                     f"performance `{e.performance['run_dir']}`")
    return "\n".join(lines + ["", "## Still to do", ""] + [f"- {item}" for item in todo] + [""])


def export(settings) -> int:
    """Export as ``settings`` (command_settings.SubmissionSettings) say; 0, or 1 when the checker ran and failed."""
    dry_run = settings.demo
    selection = choose_given(settings.runs, dry_run) if settings.runs else choose_latest(settings.log_dir, dry_run)
    for note in selection.notes:
        print(f"note: {note}")
    if not selection.exports:
        raise UsageError(f"nothing to export from LOG_DIR={settings.log_dir}: a result needs an accuracy run that "
                         "passed and a VALID performance run of one benchmark and scenario (notes above).")
    exports = selection.exports
    conf_of = _conf_reader(exports, Path(settings.env_dir))
    runs = [r for e in exports for r in (e.accuracy, e.performance)]
    notes: list[str] = []
    system_json = systems.system_description(settings.system, settings.submitter, settings.division, dry_run,
                                             {e.scenario for e in exports}, runs, lambda d: read_run(Path(d)), notes)
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=out))  # renamed into place once complete
    try:
        built = write_tree(scratch, settings.system, settings.submitter, settings.division, dry_run, exports,
                           conf_of, system_json)
        compliance_todo = write_compliance(built, settings.system, exports,
                                           choose_compliance(settings.log_dir, dry_run))
        top = out / settings.division / settings.submitter
        top.parent.mkdir(exist_ok=True)
        built.rename(top)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    todo = still_to_do(exports, system_json, top, settings.system, settings.division, dry_run, notes) + compliance_todo
    (out / "README.md").write_text(_readme(exports, top, todo, dry_run))
    print(f"== {'dry run: ' if dry_run else ''}wrote {top}")
    for e in exports:
        print(f"   {', '.join(e.keys)} {e.scenario}: accuracy {Path(e.accuracy['run_dir']).name} "
              f"({e.accuracy.get('verdict')}), performance {Path(e.performance['run_dir']).name} "
              f"({validity(e.performance)})")
    print("== still to do before it is a submission (also in README.md beside it):")
    for item in todo:
        print(f"   - {item}")
    if not settings.checker:
        return 0
    # Skip the checks whose failures are listed above, so that its output shows every other problem.
    skipped = [flag for flag, skip in (("--skip_compliance", not (top / "compliance").exists()),
                                       ("--skip-meaningful-fields-emptiness-check",
                                        any(item.startswith("fill in") for item in todo))) if skip]
    code, errors = run_checker(Path(settings.checker), out, settings.submitter, skipped)
    print(f"== v4.1 submission checker: {'no errors' if code == 0 else f'{len(errors)} error(s), exit {code}'}"
          + (f" (with {' '.join(skipped)}: those parts are still to do, above)" if skipped else ""))
    return 0 if code == 0 else 1
