"""One evaluation, end to end: artifacts, dataset, backend, LoadGen, score, verdict, run directory."""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

from . import artifacts, loadgen_logs, provenance, registry, rundir, runner, shards, store, torch_device, verdict
from .config import RunConfig
from .declaration import Benchmark, load_object
from .errors import HarnessError
from .registry import ROOT

LOADGEN_DIR = ROOT / "loadgen"


def write_user_conf(path: Path, partial: bool) -> list[str]:
    """The run's own user.conf: ours, plus the short-run settings for a partial run. Saved with the run."""
    parts = [LOADGEN_DIR / "user.conf"] + ([LOADGEN_DIR / "short_run.conf"] if partial else [])
    path.write_text("".join(p.read_text() for p in parts))
    return [p.name for p in parts]


def make_backend(bench: Benchmark, config: RunConfig, dataset, resolved):
    reference = bench.backend if config.backend == "reference" else config.backend
    try:
        cls = load_object(reference)
    except (ImportError, ValueError) as exc:
        raise HarnessError(f"BACKEND={config.backend!r} cannot be imported: {exc}") from None
    return cls(dataset=dataset, artifacts=resolved, config=config)


def evaluate(bench: Benchmark, config: RunConfig, run_dir_file: str | None = None) -> int:
    """Run ``bench`` as ``config`` says; returns the exit code (0 only on PASS, or a finished demo)."""
    print(f"== {bench.id}: resolved configuration")
    print(config.describe())
    manifest = artifacts.load_manifest(config.manifest)
    resolved = artifacts.resolve_all(bench, config.data_dir, config.offline, manifest, config.data_source)
    demo = bool(manifest.get("demo"))
    run_dir = rundir.create(config.log_dir, bench.log_folder, config.scenario, config.data_type)
    if run_dir_file:
        Path(run_dir_file).write_text(f"{run_dir}\n")
    result = {
        "benchmark": bench.id, "name": bench.make_name, "status": "running", "demo": demo,
        "demo_note": manifest.get("note") if demo else None,
        "run_dir": str(run_dir), "config": config.as_dict(), "started": rundir.utc_now(),
        "artifacts": {a.name: {"path": str(a.path), "digests": a.digests, "origin": a.origin}
                      for a in resolved.values()},
        "provenance": provenance.describe(ROOT / bench.requirements),
    }
    began = time.monotonic()
    with rundir.console_log(run_dir / "console.log"):
        print(f"== run directory: {run_dir}")
        try:
            code = _execute(bench, config, resolved, run_dir, result)
        except BaseException as exc:
            result["status"] = "failed"
            result["verdict"] = "ERROR"
            result["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"== {bench.id} FAILED: {result['error']}")
            raise
        finally:
            result["finished"] = rundir.utc_now()
            result["elapsed_s"] = round(time.monotonic() - began, 3)
            rundir.write_json(run_dir / "result.json", result)
    return code


def _execute(bench, config, resolved, run_dir: Path, result: dict) -> int:
    start, stop = shards.slice_of(config.n_count, config.shards, config.shard)
    partial = stop - start < bench.total_count
    conf_parts = write_user_conf(run_dir / "user.conf", partial)
    torch_device.apply_threads(config.threads)
    dataset = load_object(bench.dataset)(artifacts=resolved, config=config)
    print(f"== preparing {config.n_count} of {bench.total_count} samples")
    dataset.prepare()
    backend = make_backend(bench, config, dataset, resolved)
    result["backend_notes"] = getattr(backend, "notes", [])  # what the backend changed, e.g. a data type
    try:
        stats = _loadgen_run(bench, config, dataset, backend, resolved, run_dir, result, start, stop)
    finally:  # before scoring, and even on failure: helper processes and devices are released
        close = getattr(backend, "close", None)
        if close is not None:
            close()
    summary = loadgen_logs.summarize(run_dir / "mlperf_log_detail.txt")
    result["loadgen"] = {"model": bench.loadgen_model, "user_conf": conf_parts, "summary": summary}
    result["samples"] = {"asked": stop - start, "dataset_total": bench.total_count,
                         "issued": stats.issued, "partial": partial}
    if summary["errors"]:
        raise HarnessError(f"LoadGen logged {len(summary['errors'])} error(s): {summary['errors'][0]}")
    if config.mode == "performance":
        return _performance_verdict(summary, result)
    log = run_dir / "mlperf_log_accuracy.json"
    if config.shards > 1:  # LoadGen counted this shard from 0; score it with the dataset's indices
        log = run_dir / "accuracy_global.json"
        shards.write_accuracy_log(log, shards.globalize(json.loads(
            (run_dir / "mlperf_log_accuracy.json").read_text()), start))
    score = load_object(bench.metric)(log, dataset)
    return _accuracy_verdict(bench, config, run_dir, score, result)


def _loadgen_run(bench, config, dataset, backend, resolved, run_dir: Path, result: dict, start: int, stop: int):
    """The LoadGen test itself, through the resume store and the shard offset where they apply."""
    if config.mode == "accuracy" and config.resume:
        backend = _resuming(bench, config, resolved, backend, result)
    qsl, sut = dataset, backend
    if config.shards > 1:
        print(f"== shard {config.shard} of {config.shards}: samples {start}..{stop - 1}")
        result["shard"] = {"index": config.shard, "count": config.shards, "start": start, "stop": stop}
        qsl, sut = shards.Offset(dataset, start), shards.Offset(backend, start)
    settings = runner.RunnerSettings(
        loadgen_model=bench.loadgen_model, scenario=config.scenario, mode=config.mode,
        total_count=stop - start, performance_count=bench.performance_count,
        batch_size=config.batch_size, outdir=run_dir, user_conf=run_dir / "user.conf",
        report_tokens=bench.report_tokens)
    print(f"== LoadGen {config.scenario} {config.mode} run, batch size {config.batch_size}")
    stats = runner.run(qsl, sut, load_object(bench.codec), settings)
    if isinstance(backend, store.ResumingBackend):
        result["resume"].update(reused=backend.reused, computed=backend.computed)
        backend.store.close()
    return stats


def merge(run_dirs: list[Path]) -> int:
    """``python -m harness merge``: one accuracy log from shard runs, scored and judged like a run."""
    first, entries = shards.collect(run_dirs)
    bench = registry.get(first["benchmark"])
    config = RunConfig(**{**first["config"], "shards": 1, "shard": 0})
    resolved = artifacts.resolve_all(bench, config.data_dir, True, artifacts.load_manifest(config.manifest),
                                     config.data_source)
    run_dir = rundir.create(config.log_dir, bench.log_folder, config.scenario, config.data_type)
    shards.write_accuracy_log(run_dir / "mlperf_log_accuracy.json", entries)
    result = {
        "benchmark": bench.id, "name": bench.make_name, "status": "running", "demo": first.get("demo", False),
        "demo_note": first.get("demo_note"), "run_dir": str(run_dir), "config": config.as_dict(),
        "started": rundir.utc_now(), "merged_from": [str(Path(d).resolve()) for d in run_dirs],
        "artifacts": first.get("artifacts", {}), "provenance": provenance.describe(ROOT / bench.requirements),
        "samples": {"asked": config.n_count, "dataset_total": bench.total_count, "issued": len(entries),
                    "partial": config.n_count < bench.total_count},
    }
    print(f"== merged {len(run_dirs)} shard(s), {len(entries)} entries, into {run_dir}")
    dataset = load_object(bench.dataset)(artifacts=resolved, config=config)
    score = load_object(bench.metric)(run_dir / "mlperf_log_accuracy.json", dataset)
    code = _accuracy_verdict(bench, config, run_dir, score, result)
    result["finished"] = rundir.utc_now()
    rundir.write_json(run_dir / "result.json", result)
    return code


def _resuming(bench, config, resolved, backend, result: dict) -> store.ResumingBackend:
    """Keep every finished sample in a store outside the run directory, so a re-run resumes."""
    identities = {n: a.digests or ({"folder": store.folder_fingerprint(a.path)} if a.path.is_dir() else {})
                  for n, a in resolved.items()}
    key = store.store_key(bench.id, identities, config.data_type, config.backend,
                          getattr(backend, "cache_settings", {}))
    path = store.store_path(Path(config.log_dir) / bench.log_folder / "cache", key)
    samples = store.SampleStore(path, key)
    if len(samples):
        print(f"== resuming: {len(samples)} sample(s) finished earlier are reused from {path} (RESUME=0 recomputes)")
    result["resume"] = {"store": str(path), "stored_before": len(samples)}
    return store.ResumingBackend(backend, samples)


def _performance_verdict(summary: dict, result: dict) -> int:
    result.update(status="completed", verdict="NOT JUDGED")
    shown = {k: v for k, v in summary.items() if k.startswith("result_") or k.startswith("early_")}
    for key, value in shown.items():
        print(f"  {key}: {value}")
    print("== performance run finished; accuracy is judged only in MODE=accuracy")
    return 0


def _accuracy_verdict(bench, config, run_dir: Path, score, result: dict) -> int:
    from .fetch import file_digest

    log_hash = file_digest(run_dir / "mlperf_log_accuracy.json", "sha256")
    rundir.write_atomic(run_dir / "accuracy.txt", "".join(f"{line}\n" for line in score.lines)
                        + f"hash={log_hash}\n")
    rows = verdict.judge(bench, score.values)
    passed = verdict.overall(bench, rows)
    notes = [*result.pop("backend_notes", []), *score.notes]
    if result["samples"]["partial"]:
        notes.append(f"partial run: {config.n_count} of {bench.total_count} samples; the official "
                     "verdict needs the full set")
    if score.scored < config.n_count:
        notes.append(f"only {score.scored} of {config.n_count} samples were scored")
    if result["demo"]:
        notes.append(f"DEMO: {result['demo_note'] or 'generated fixture'}. These numbers are no accuracy claim.")
    result["samples"].update(scored=score.scored, duplicates=score.duplicates)
    result.update(status="completed", metrics=score.values, accuracy_lines=score.lines,
                  details=score.details, targets=rows, verdict="PASS" if passed else "FAIL", notes=notes)
    for line in score.lines:
        print(line)
    print()
    print(verdict.table(rows))
    for note in notes:
        print(f"note: {note}")
    if "shard" in result:
        print(f"== {bench.id} shard {config.shard} of {config.shards} finished ({result['verdict']} on its slice); "
              "the verdict belongs to the merged run: python -m harness merge <shard run dirs>")
        return 0
    if result["demo"]:
        print(f"== {bench.id} demo finished: the pipeline ran end to end; its verdict "
              f"({result['verdict']}) judges random weights and means nothing. ({run_dir})")
        return 0
    print(f"== {bench.id}: {result['verdict']}  ({run_dir})")
    return 0 if passed else 1

