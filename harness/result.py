"""``result.json``: what one run (or one merge of shard runs) did and concluded, written once.

A run fills a ``RunResult`` step by step and writes it at the end, whatever the end was; a merge
builds the same header from its shards. Keys that are ``None`` are left out of the file.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import disk, provenance, rundir
from .errors import HarnessError
from .registry import ROOT


@dataclass
class RunResult:
    benchmark: str
    name: str
    run_dir: str
    config: dict
    artifacts: dict
    provenance: dict
    demo: bool = False
    demo_note: str | None = None
    status: str = "running"  # running | completed | failed
    started: str = field(default_factory=rundir.utc_now)
    finished: str | None = None
    elapsed_s: float | None = None
    merged_from: list[str] | None = None
    shard: dict | None = None
    resume: dict | None = None
    backend_settings: dict | None = None
    loadgen: dict | None = None
    samples: dict | None = None
    verdict: str | None = None  # PASS | FAIL | PARTIAL | NOT JUDGED | ERROR
    verdict_on_slice: str | None = None  # a PARTIAL run: PASS or FAIL on the samples it ran
    metrics: dict | None = None
    accuracy_lines: list[str] | None = None
    details: dict | None = None
    targets: list | None = None
    notes: list[str] | None = None
    error: str | None = None
    pairing: dict | None = None  # {"system", "key"}: an accuracy and a performance run of one configuration
    executor: dict | None = None  # EXECUTOR=ray: the cluster and which node ran which shard
    find_peak: dict | None = None  # FIND_PEAK: "probe" (a short search run) or "confirm" (with every probe)

    @classmethod
    def start(cls, bench, config, run_dir: Path, artifacts: dict, demo: bool, demo_note: str | None,
              **extra) -> RunResult:
        """The header every run and merge begins with."""
        return cls(benchmark=bench.id, name=bench.make_name, run_dir=str(run_dir), config=config.as_dict(),
                   artifacts=artifacts, provenance=provenance.describe(ROOT / bench.requirements,
                                                                           provenance.engine_of(bench, config)),
                   demo=demo, demo_note=demo_note if demo else None, **extra)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def write(self, path: Path) -> None:
        rundir.write_json(path, self.as_dict())

    @contextlib.contextmanager
    def recorded(self, run_dir: Path, header: str = ""):
        """The block's output is copied into console.log (after ``header``), and result.json says
        "running" from the start (a killed run is seen as such) and how the run ended at the end,
        even on a full disk: the run directory's space reserve is given back first."""
        try:
            self.write(run_dir / "result.json")
            disk.reserve(run_dir)
            (run_dir / "console.log").write_text(header)
            with rundir.console_log(run_dir / "console.log"):
                try:
                    yield
                except BaseException as exc:
                    self._failed(exc, run_dir)  # the reason lands in console.log too
                    raise
        except BaseException as exc:
            if self.status == "running":  # it failed before console.log was there
                self._failed(exc, run_dir)
            if disk.is_full(exc):
                raise HarnessError(self.error) from None
            raise
        finally:
            disk.release(run_dir)
            self.finished = rundir.utc_now()
            try:
                self.write(run_dir / "result.json")
            except OSError as exc:
                why = disk.advice(run_dir) if disk.is_full(exc) else "the run directory is incomplete"
                print(f"error: could not write {run_dir / 'result.json'} ({exc}); {why}", file=sys.stderr)

    def _failed(self, exc: BaseException, run_dir: Path) -> None:
        if isinstance(exc, KeyboardInterrupt):
            self.status, self.verdict, self.error = "interrupted", "ERROR", str(exc) or "interrupted"
            print(f"== {self.name} interrupted; run the same command again to resume (RESUME=0 starts over)")
            return
        self.status, self.verdict = "failed", "ERROR"
        if disk.is_full(exc):
            disk.release(run_dir)  # room for the message in console.log, and for result.json
            self.error = disk.advice(run_dir)
        else:
            self.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        print(f"== {self.name} FAILED: {self.error}")


def pairing_of(config, artifacts: dict) -> dict:
    """What an accuracy run and a performance run of one configuration share: the system, and a key
    over the benchmark, scenario, data type, backend, device type, benchmark options and the
    artifacts by content (not the mode, sample count, batch size or device index)."""
    import hashlib
    import json

    fields = {"benchmark": config.benchmark, "scenario": config.scenario, "data_type": config.data_type,
              "backend": config.backend, "device": config.device.split(":")[0], "system": config.system,
              "options": config.options, "artifacts": {n: a.get("digests") for n, a in sorted(artifacts.items())}}
    key = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {"system": config.system, "key": key}


def artifact_record(resolved: dict) -> dict:
    """What result.json says of each artifact: where it was, its digests, where it came from."""
    return {a.name: {"path": str(a.path), "digests": a.digests, "origin": a.origin} for a in resolved.values()}
