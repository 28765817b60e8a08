"""One evaluation, end to end: artifacts, dataset, backend, LoadGen, score, verdict, run directory."""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import artifacts, disk, loadgen_logs, registry, rundir, runner, shards, store, torch_device, verdict
from .codecs import Responses
from .compliance import audit as compliance_audit
from .config import RunConfig
from .contract import Backend, Dataset, Run
from .declaration import load_object
from .errors import HarnessError, MissingArtifactError, UsageError
from .registry import ROOT
from .result import RunResult, artifact_record, pairing_of
from .score import Score

LOADGEN_DIR = ROOT / "loadgen"


def write_user_conf(path: Path, partial: bool, system: str | None = None, extra: str | None = None) -> list[str]:
    """The run's own user.conf: SYSTEM's (or the shared placeholder), plus the short-run settings for a
    partial run, plus ``extra`` (FIND_PEAK's probe settings) last, so that it wins. Saved with the run."""
    own = LOADGEN_DIR / "systems" / system / "user.conf" if system else LOADGEN_DIR / "user.conf"
    parts = [own] + ([LOADGEN_DIR / "short_run.conf"] if partial else []) + ([Path(extra)] if extra else [])
    path.write_text("".join(p.read_text().rstrip("\n") + "\n" for p in parts))
    return [str(p.relative_to(LOADGEN_DIR)) if p.is_relative_to(LOADGEN_DIR) else p.name for p in parts]


def backend_class(bench, backend: str) -> type[Backend]:
    """The backend class BACKEND names (``reference``: the benchmark's own), checked to keep the contract."""
    reference = bench.backend if backend == "reference" else backend
    try:
        cls = load_object(reference)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"BACKEND={backend!r} cannot be imported: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise UsageError(f"BACKEND={backend!r} is not a backend class: name a subclass of "
                         "harness.contract.Backend as package.module:ClassName")
    return cls


def open_dataset(run: Run) -> Dataset:
    """The benchmark's dataset for ``run``, checked to hold every index the run covers."""
    dataset = load_object(run.benchmark.dataset)(run)
    if run.indices and run.indices.stop > dataset.size:
        raise MissingArtifactError(
            f"N_COUNT={run.config.n_count} but the {run.benchmark.make_name} dataset files hold only "
            f"{dataset.size} samples; use N_COUNT={dataset.size} or less, or complete the dataset "
            f"(see `make list` and {run.benchmark.domain}/{run.benchmark.id}/README.md)")
    return dataset


def score_log(run: Run, dataset: Dataset, log: Path) -> Score:
    """The benchmark's scorer on the first responses of ``log``, decoded with its codec."""
    responses = Responses(log, load_object(run.benchmark.codec), size=dataset.size,
                          max_bytes=run.benchmark.max_response_bytes)
    return load_object(run.benchmark.metric)(responses, dataset, run)


def evaluate(bench, config: RunConfig, run_dir_file: str | None = None, loadgen_conf: str | None = None) -> int:
    """Run ``bench`` as ``config`` says; returns the exit code (0 only on PASS, or a finished demo).
    ``loadgen_conf``: LoadGen settings appended to the run's user.conf (FIND_PEAK's probes)."""
    if config.find_peak:  # a driver of several runs, each in its own process (one LoadGen test per process)
        from .find_peak import search

        return search(bench, config, run_dir_file)
    header = f"== {bench.make_name}: resolved configuration\n{config.describe()}\n"
    print(header, end="")
    backend_class(bench, config.backend)  # a bad BACKEND stops before any download or run directory
    if config.device != "cpu":  # and so do a GPU that is not there, and DEVICE=auto missing one
        torch_device.check_device(config.device, bench.gpu_sized, bench.make_name)
    manifest = artifacts.load_manifest(config.manifest)
    resolved = artifacts.resolve_all(bench, config.data_dir, config.offline, manifest, config.data_source)
    demo = bool(manifest.get("demo"))
    start, stop = shards.slice_of(config.n_count, config.shards, config.shard)
    run_dir = rundir.create(config.log_dir, bench.make_name, config.scenario, config.data_type)
    if run_dir_file:
        Path(run_dir_file).write_text(f"{run_dir}\n")
    run = Run(bench, config, resolved, range(start, stop), run_dir, demo)
    result = RunResult.start(bench, config, run_dir, artifact_record(resolved), demo, manifest.get("note"))
    result.pairing = pairing_of(config, result.artifacts)
    if config.shards > 1:
        result.shard = {"index": config.shard, "count": config.shards, "start": start, "stop": stop}
    began = time.monotonic()
    with result.recorded(run_dir, header):  # the header was printed before the run directory existed
        print(f"== run directory: {run_dir}")
        try:
            return _execute(run, result, loadgen_conf)
        finally:
            result.elapsed_s = round(time.monotonic() - began, 3)


def _execute(run: Run, result: RunResult, loadgen_conf: str | None = None) -> int:
    bench, config = run.benchmark, run.config
    conf_parts = write_user_conf(run.run_dir / "user.conf", run.partial, config.system, loadgen_conf)
    torch_device.apply_threads(config.threads)
    dataset = open_dataset(run)
    print(f"== preparing {run.count} of {bench.total_count} samples")
    dataset.prepare()
    backend = backend_class(bench, config.backend)(dataset, run)
    result.backend_settings = backend.cache_settings()
    try:
        stats = _loadgen_run(run, dataset, backend, result)
    finally:  # before scoring, and even on failure: helper processes and devices are released
        backend.close()
    disk.check_logs_complete(run.run_dir)
    summary = loadgen_logs.summarize(run.run_dir / "mlperf_log_detail.txt")
    result.loadgen = {"model": bench.loadgen_model, "user_conf": conf_parts, "summary": summary}
    result.samples = {"asked": run.count, "dataset_total": bench.total_count, "issued": stats.issued,
                      "partial": config.n_count < bench.total_count}
    errors = compliance_audit.unexpected(run, summary["errors"])
    if errors:
        raise HarnessError(f"LoadGen logged {len(errors)} error(s): {errors[0]}")
    if config.mode == "performance":
        return _performance_verdict(run, summary, result)
    log = run.run_dir / "mlperf_log_accuracy.json"
    if run.indices.start:  # LoadGen counted this shard from 0; score it with the dataset's indices
        log = run.run_dir / "accuracy_global.json"
        shards.write_accuracy_log(log, shards.globalize(json.loads(
            (run.run_dir / "mlperf_log_accuracy.json").read_text()), run.indices.start))
    try:
        score = score_log(run, dataset, log)
    except ValueError as exc:  # e.g. FID of one image: a shard's slice alone may not be scorable
        if not result.shard:
            raise
        return _unscored_shard(run, result, exc)
    return _accuracy_verdict(run, score, result, list(backend.notes))


def _unscored_shard(run: Run, result: RunResult, why: Exception) -> int:
    from .hashing import file_digest

    log_hash = file_digest(run.run_dir / "mlperf_log_accuracy.json", "sha256")
    rundir.write_atomic(run.run_dir / "accuracy.txt", f"hash={log_hash}\n")  # merge checks the log against it
    result.status, result.verdict = "completed", "NOT JUDGED"
    result.notes = [f"this shard's slice cannot be scored alone ({why}); the merged run scores it"]
    print(f"note: {result.notes[0]}")
    print(f"== {run.benchmark.make_name} shard {run.config.shard} of {run.config.shards} finished; "
          "merge the shards: python -m harness merge <shard run dirs>")
    return 0


def _loadgen_run(run: Run, dataset: Dataset, backend: Backend, result: RunResult):
    """The LoadGen test itself, through the resume store and the shard offset where they apply."""
    config = run.config
    resuming = _resuming(run, backend, result) if config.mode == "accuracy" and config.resume != "none" else None
    qsl, sut = dataset, resuming or backend
    if run.indices.start:
        print(f"== shard {config.shard} of {config.shards}: samples {run.indices.start}..{run.indices.stop - 1}")
        qsl, sut = shards.Offset(dataset, run.indices.start), shards.Offset(sut, run.indices.start)
    settings = runner.RunnerSettings(
        loadgen_model=run.benchmark.loadgen_model, scenario=config.scenario, mode=config.mode,
        sample_count=run.count, performance_count=run.benchmark.performance_count,
        batch_size=config.batch_size, outdir=run.run_dir, user_conf=run.run_dir / "user.conf",
        report_tokens=run.benchmark.report_tokens, continuous=config.scenario == "Server" and sut.continuous,
        **compliance_audit.prepare(run))
    batching = "each query to the backend as issued (it batches continuously)" if settings.continuous else \
        f"batch size {config.batch_size}"
    print(f"== LoadGen {config.scenario} {config.mode} run, {batching}")
    try:
        stats = runner.run(qsl, sut, load_object(run.benchmark.codec), settings)
        if resuming is not None:  # all its samples are in this run's log now
            resuming.store.mark(finished=True)
    finally:
        if resuming is not None:
            result.resume.update(reused=resuming.reused, computed=resuming.computed)
            resuming.store.close()
    return stats


def merge(run_dirs: list[Path], executor: dict | None = None) -> int:
    """``python -m harness merge``: one accuracy log from shard runs, scored and judged like a run.
    ``executor``: where each shard ran (EXECUTOR=ray), kept in result.json as ``executor``."""
    first, entries = shards.collect(run_dirs)
    bench = registry.get(first["benchmark"])
    config = RunConfig(**{**first["config"], "shards": 1, "shard": 0})
    resolved = artifacts.resolve_all(bench, config.data_dir, True, artifacts.load_manifest(config.manifest),
                                     config.data_source)
    run_dir = rundir.create(config.log_dir, bench.make_name, config.scenario, config.data_type)
    demo = bool(first.get("demo", False))
    run = Run(bench, config, resolved, range(config.n_count), run_dir, demo)
    result = RunResult.start(bench, config, run_dir, first.get("artifacts", {}), demo, first.get("demo_note"),
                             merged_from=[str(Path(d).resolve()) for d in run_dirs], executor=executor)
    result.pairing = pairing_of(config, result.artifacts)  # as each shard's: the merged run pairs like a run
    result.samples = {"asked": config.n_count, "dataset_total": bench.total_count, "issued": len(entries),
                      "partial": config.n_count < bench.total_count}
    with result.recorded(run_dir):
        shards.write_accuracy_log(run_dir / "mlperf_log_accuracy.json", entries)
        print(f"== merged {len(run_dirs)} shard(s), {len(entries)} entries, into {run_dir}")
        score = score_log(run, open_dataset(run), run_dir / "mlperf_log_accuracy.json")
        return _accuracy_verdict(run, score, result, [])


def _resuming(run: Run, backend: Backend, result: RunResult) -> store.ResumingBackend:
    """Keep every finished sample in a store outside the run directory, so a re-run resumes.

    The store's key is what makes the outputs: the artifacts by content, the data type, the device
    type, the backend and its settings, and the code. By default only an interrupted run's samples
    are reused; RESUME=1 also reuses those of a run that finished."""
    import inspect

    bench, config = run.benchmark, run.config
    code = store.code_revision([ROOT / bench.domain, inspect.getsourcefile(type(backend))])
    key = store.store_key(bench.id, {n: store.artifact_identity(a) for n, a in run.artifacts.items()},
                          config.data_type, config.backend, backend.cache_settings(),
                          device=torch_device.device_type(config.device), code=code)
    path = store.store_path(Path(config.log_dir) / bench.make_name / "cache", key,
                            run.indices if config.shards > 1 else None)  # a shard: its slice's own file
    samples = store.SampleStore(path, key)
    if len(samples) and samples.finished and config.resume == "interrupted":
        print(f"== the last run with this model and these settings finished ({len(samples)} samples, in its run "
              "directory); computing afresh (RESUME=1 would reuse them)")
        samples.clear()
    elif len(samples):
        print(f"== resuming: {len(samples)} sample(s) finished earlier are reused from {path} (RESUME=0 recomputes)")
    samples.mark(finished=False)
    result.resume = {"store": str(path), "stored_before": len(samples), "policy": config.resume}
    return store.ResumingBackend(backend, samples)


def _performance_verdict(run: Run, summary: dict, result: RunResult) -> int:
    """LoadGen's validity decides: INVALID exits 1 with LoadGen's reasons and what to change, except
    a demo or partial run on the shared placeholder user.conf (a pipeline check: INVALID expected)."""
    from . import perf_advice

    result.status, result.verdict = "completed", "NOT JUDGED"
    for key in perf_advice.SHOWN:
        if key in summary:
            print(f"  {key}: {summary[key]}")
    if summary.get("result_validity") == "VALID":
        print("== performance run finished: VALID; accuracy is judged only in MODE=accuracy")
        return 0
    advice = perf_advice.advice(run.config, summary, result.loadgen["user_conf"][0])
    result.notes = advice
    for line in advice:
        print(f"  {line}")
    if perf_advice.placeholder_check(run.config, run.partial or result.demo):
        print("== performance run finished: INVALID, expected with the placeholder loadgen/user.conf on a short "
              "check (exit 0); set SYSTEM=<name> (loadgen/systems/<name>/user.conf) for a run that must be VALID")
        return 0
    result.verdict = "FAIL"
    print(f"== {run.benchmark.make_name} performance run INVALID ({run.run_dir})")
    return 1


def _accuracy_verdict(run: Run, score: Score, result: RunResult, notes: list[str]) -> int:
    from .hashing import file_digest

    bench, config, run_dir = run.benchmark, run.config, run.run_dir
    log_hash = file_digest(run_dir / "mlperf_log_accuracy.json", "sha256")
    rundir.write_atomic(run_dir / "accuracy.txt", "".join(f"{line}\n" for line in score.lines)
                        + f"hash={log_hash}\n")
    rows = verdict.judge(bench, score.values)
    passed = verdict.overall(bench, rows)
    partial = config.n_count < bench.total_count
    notes = [*notes, *score.notes]
    if score.scored < run.count:
        notes.append(f"only {score.scored} of {run.count} samples were scored")
    if result.demo:
        notes.append(f"DEMO: {result.demo_note or 'generated fixture'}. These numbers are no accuracy claim.")
    result.samples.update(scored=score.scored, duplicates=score.duplicates)
    result.status = "completed"
    result.verdict = "PARTIAL" if partial else "PASS" if passed else "FAIL"
    result.verdict_on_slice = ("PASS" if passed else "FAIL") if partial else None
    result.metrics, result.accuracy_lines, result.details = score.values, score.lines, score.details
    result.targets, result.notes = rows, notes
    for line in score.lines:
        print(line)
    print()
    print(verdict.table(rows, partial))
    for note in notes:
        print(f"note: {note}")
    name = bench.make_name
    if result.shard:
        print(f"== {name} shard {config.shard} of {config.shards} finished ({result.verdict_on_slice or result.verdict} "
              "on its slice); the verdict belongs to the merged run: python -m harness merge <shard run dirs>")
        return 0
    if result.demo:
        print(f"== {name} demo finished: the pipeline ran end to end; its verdict "
              f"({result.verdict_on_slice or result.verdict}) judges random weights and means nothing. ({run_dir})")
        return 0
    if partial:  # a check of the pipeline, not a result: the exit code says whether the slice passed
        print(f"== {name}: PARTIAL: {config.n_count:,} of {bench.total_count:,} samples, not comparable with the "
              f"target ({result.verdict_on_slice} on this slice)  ({run_dir})")
        return 0 if passed else 1
    print(f"== {name}: {result.verdict}  ({run_dir})")
    return 0 if passed else 1
