"""FIND_PEAK=1: the highest target_qps that LoadGen calls VALID, found with short probe runs.

LoadGen 4.1 runs one test per process, so every probe is ``python -m harness run`` in its own process
with the run's settings as flags and the probe's LoadGen settings appended to its user.conf
(``--loadgen-conf``). Every probe keeps its run directory; the confirming run lists them all.

- Offline: a probe at the configured target_qps measures samples/s; while LoadGen says the probe
  was too short (min duration not met) the next probe asks for the rate measured (x OFFLINE_MARGIN).
  The confirming run asks for the last (VALID) probe's measured rate.
- Server: the same Offline probes bound the rate (a Server run cannot complete more than the system's
  Offline throughput); then bisection between 0 and that bound on short Server probes (the first at
  90% of it), until the bracket is within TOLERANCE, and one confirming run at the highest VALID target.

Probes are short (loadgen/short_run.conf: 1 s minimum duration; Server probes also at least
SERVER_PROBE_QUERIES queries, which LoadGen's early-stopping estimate of the 99th percentile needs).
The confirming run uses the run's own settings (SYSTEM's user.conf, mlperf.conf's durations); a
partial or demo run, which is short anyway, confirms with the probe settings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from . import rundir
from .config import SETTINGS, RunConfig
from .errors import HarnessError, UsageError
from .registry import ROOT

LOADGEN_DIR = ROOT / "loadgen"
SERVER_PROBE_QUERIES = 600  # early stopping needs ~460 queries under the bound to vouch for a p99
TOLERANCE = 0.05  # the Server bisection stops when the bracket is this close (relative to its top)
MAX_OFFLINE_PROBES = 5
OFFLINE_MARGIN = 1.1  # a re-asked Offline probe asks a little more than measured: a short first probe underrates
MAX_SERVER_PROBES = 8
FIRST_FRACTION = 0.9
LOWEST_FRACTION = 1 / 16


@dataclass
class Probe:
    scenario: str
    target_qps: float | None  # None: the configured one
    validity: str
    samples_per_second: float | None
    p99_latency_ms: float | None
    run_dir: str
    exit_code: int


def _flags(config: RunConfig, scenario: str) -> list[str]:
    """The run's resolved settings as flags (flags beat the environment), FIND_PEAK off."""
    flags = []
    for key in SETTINGS:
        value = getattr(config, key)
        if key == "find_peak" or value is None or (key == "resume" and value == "interrupted"):
            continue
        value = {"scenario": scenario, "resume": {"all": "1", "none": "0"}.get(value)}.get(key, value)
        flags += ["--" + key.replace("_", "-"), "1" if value is True else "0" if value is False else str(value)]
    return flags + ["--find-peak", "0"]


def _conf(folder: Path, name: str, scenario: str, target: float | None, short: bool) -> Path:
    lines = [LOADGEN_DIR.joinpath("short_run.conf").read_text()] if short else []
    lines.append("# FIND_PEAK settings\n")
    if target is not None:
        lines.append(f"*.{scenario}.target_qps = {target:.6g}\n")
    if short and scenario == "Server":
        lines.append(f"*.Server.min_query_count = {SERVER_PROBE_QUERIES}\n")
    path = folder / f"{name}.conf"
    path.write_text("".join(lines))
    return path


def _launch(bench, config: RunConfig, scenario: str, conf: Path, folder: Path, show: bool) -> tuple[int, dict, str]:
    """One run in its own process: (exit code, its result.json, its output)."""
    where = folder / f"{conf.stem}.rundir"
    cmd = [sys.executable, "-m", "harness", "run", bench.id, *_flags(config, scenario), "--loadgen-conf", str(conf),
           "--run-dir-file", str(where)]
    done = subprocess.run(cmd, cwd=ROOT, text=True, stdout=None if show else subprocess.PIPE,
                          stderr=None if show else subprocess.STDOUT)
    if done.returncode == 130:  # Ctrl-C reached the probe too; its run directory says so
        raise KeyboardInterrupt(f"FIND_PEAK interrupted during {conf.stem}")
    if not where.is_file() or done.returncode not in (0, 1):
        raise HarnessError(f"FIND_PEAK: the run {' '.join(cmd[3:])} failed (exit {done.returncode}):\n"
                           + (done.stdout or "")[-3000:])
    run_dir = where.read_text().strip()
    return done.returncode, json.loads(Path(run_dir, "result.json").read_text()), run_dir


def _probe(bench, config, scenario, target, folder, probes: list[Probe]) -> Probe:
    conf = _conf(folder, f"probe{len(probes) + 1}", scenario, target, short=True)
    code, result, run_dir = _launch(bench, config, scenario, conf, folder, show=False)
    summary = (result.get("loadgen") or {}).get("summary") or {}
    rate = summary.get("result_samples_per_second") or summary.get("result_completed_samples_per_sec")
    p99 = summary.get("result_99.00_percentile_latency_ns")
    probe = Probe(scenario, target, str(summary.get("result_validity", "unknown")), float(rate) if rate else None,
                  round(p99 / 1e6, 3) if p99 else None, run_dir, code)
    probes.append(probe)
    asked = "the configured target_qps" if target is None else f"target_qps {target:.6g}"
    print(f"== FIND_PEAK probe {len(probes)}: {scenario} {asked}: {probe.validity}, "
          f"{probe.samples_per_second} samples/s, p99 {probe.p99_latency_ms} ms  ({run_dir})", flush=True)
    return probe


def _offline_rate(bench, config, folder, probes) -> float:
    """Samples/s of the Offline probes, re-asked at the measured rate until LoadGen calls one VALID."""
    target = None
    for _ in range(MAX_OFFLINE_PROBES):
        probe = _probe(bench, config, "Offline", target, folder, probes)
        if not probe.samples_per_second:
            break
        if probe.validity == "VALID":
            return probe.samples_per_second
        target = float(f"{probe.samples_per_second * OFFLINE_MARGIN:.6g}")
    raise HarnessError(f"FIND_PEAK: no VALID Offline probe in {len(probes)} tries; see the probes' run directories")


def _server_peak(bench, config, bound: float, folder, probes) -> float | None:
    """Bisection on short Server probes in (0, bound], first asking FIRST_FRACTION of the bound (a
    system usually holds most of its Offline rate): the highest VALID target_qps found, or None.
    It gives up below bound x LOWEST_FRACTION, where each probe would run for minutes."""
    low, high = 0.0, bound
    for step in range(MAX_SERVER_PROBES):
        if (low and (high - low) <= TOLERANCE * high) or high < bound * LOWEST_FRACTION:
            break
        target = float(f"{bound * FIRST_FRACTION if step == 0 else (low + high) / 2:.6g}")  # as user.conf holds it
        if _probe(bench, config, "Server", target, folder, probes).validity == "VALID":
            low = target
        else:
            high = target
    return low or None


def search(bench, config: RunConfig, run_dir_file: str | None) -> int:
    """FIND_PEAK=1: probes, then one confirming run; its exit code (1 when no VALID target was found)."""
    if config.scenario == "Server" and "Offline" not in bench.scenarios:
        raise UsageError(f"FIND_PEAK bounds the Server search with an Offline probe, and {bench.make_name} "
                         "runs no Offline scenario")
    probes: list[Probe] = []
    short = config.n_count < bench.total_count
    with tempfile.TemporaryDirectory(prefix="find_peak-") as tmp:
        folder = Path(tmp)
        print(f"== FIND_PEAK: searching the highest VALID {config.scenario} target_qps of {bench.make_name} "
              "with short probe runs, each in its own process", flush=True)
        peak = _offline_rate(bench, config, folder, probes)
        if config.scenario == "Server":
            peak = _server_peak(bench, config, peak, folder, probes)
        if peak is None:
            print("== FIND_PEAK: no Server target_qps was VALID, down to "
                  f"{min(p.target_qps for p in probes if p.scenario == 'Server'):.6g}; probes above")
            return 1
        print(f"== FIND_PEAK: peak target_qps {peak:.6g}; confirming with "
              f"{'the probe settings (a partial or demo run)' if short else 'the full settings'}", flush=True)
        conf = _conf(folder, "confirm", config.scenario, peak, short=short and config.scenario == "Server")
        code, result, run_dir = _launch(bench, config, config.scenario, conf, folder, show=True)
    record = {"role": "confirm", "peak_target_qps": float(f"{peak:.6g}"), "tolerance": TOLERANCE,
              "server_probe_queries": SERVER_PROBE_QUERIES, "probes": [asdict(p) for p in probes]}
    result["find_peak"] = record
    rundir.write_json(Path(run_dir) / "result.json", result)
    for probe in probes:
        path = Path(probe.run_dir) / "result.json"
        rundir.write_json(path, {**json.loads(path.read_text()), "find_peak": {"role": "probe", "confirmed_by": run_dir}})
    if run_dir_file:
        Path(run_dir_file).write_text(f"{run_dir}\n")
    print(f"== FIND_PEAK: {len(probes)} probe(s) kept and listed in {run_dir}/result.json; peak target_qps "
          f"{peak:.6g}, confirming run {result.get('loadgen', {}).get('summary', {}).get('result_validity')}")
    return code
