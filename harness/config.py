"""The run configuration: benchmark defaults < environment variables < command-line flags.

Every value is read here, at the edge, and validated before any heavy work starts; nothing deeper
in the harness reads the environment. A bad value raises UsageError naming the variable (or flag),
the value and what is allowed.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .declaration import SCENARIOS, Benchmark, load_object
from .errors import UsageError
from .registry import ROOT

MODES = ("accuracy", "performance")
DATA_TYPE_ALIASES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
SCENARIO_ALIASES = {s.lower(): s for s in SCENARIOS}
MAX_BATCH_SIZE = 4096

# Each setting: its environment variable and its flag (argparse dest is the field name).
SETTINGS = {
    "scenario": "SCENARIO",
    "n_count": "N_COUNT",
    "data_type": "DATA_TYPE",
    "device": "DEVICE",
    "mode": "MODE",
    "backend": "BACKEND",
    "batch_size": "BATCH_SIZE",
    "data_dir": "DATA_DIR",
    "log_dir": "LOG_DIR",
    "offline": "OFFLINE",
    "manifest": "MANIFEST",
    "workers": "WORKERS",
    "data_source": "DATA_SOURCE",
    "resume": "RESUME",
    "shards": "SHARDS",
    "shard": "SHARD",
    "threads": "THREADS",
    "system": "SYSTEM",
    "find_peak": "FIND_PEAK",
}
SYSTEMS_DIR = ROOT / "loadgen" / "systems"  # one folder per system: its LoadGen user.conf
DATA_SOURCES = ("upstream", "dvc")


@dataclass(frozen=True)
class RunConfig:
    benchmark: str
    scenario: str
    n_count: int
    data_type: str
    device: str
    mode: str
    backend: str
    batch_size: int
    data_dir: str
    log_dir: str
    offline: bool
    manifest: str | None
    workers: int
    data_source: str
    resume: str  # interrupted | all | none (RESUME unset, 1, 0)
    shards: int = 1
    shard: int = 0
    threads: int = 0  # torch intra-op threads of the run process; 0 = torch's default
    options: dict = field(default_factory=dict)  # the benchmark's own settings, by variable name
    system: str | None = None  # loadgen/systems/<system>/user.conf; None: the shared placeholder loadgen/user.conf
    find_peak: bool = False  # search the highest VALID target_qps (harness/find_peak.py)
    compliance_run: str = ""  # part of a compliance test: reference | TEST01..TEST06 (harness/compliance)

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        width = max(len(k) for k in (*SETTINGS, *self.options))
        lines = [f"  {'benchmark':<{width}}  {self.benchmark}"]
        for key, env in SETTINGS.items():
            lines.append(f"  {key:<{width}}  {getattr(self, key)!s:<24} ({env})")
        for variable, value in self.options.items():
            lines.append(f"  {variable.lower():<{width}}  {value!s:<24} ({variable})")
        return "\n".join(lines)


def _source(key: str, flags: dict, env: dict) -> tuple[str | None, str]:
    """The raw value of a setting and the name to blame if it is wrong (flag beats environment)."""
    if flags.get(key) is not None:
        return str(flags[key]), "--" + key.replace("_", "-")
    var = SETTINGS[key]
    if env.get(var, "") != "":
        return env[var], var
    return None, var


def _bad(name: str, value: str, allowed: str) -> UsageError:
    return UsageError(f"{name}={value!r} is not valid: {allowed}.")


def _int(name: str, value: str, low: int, high: int) -> int:
    if not re.fullmatch(r"[0-9]+", value.strip()):
        raise _bad(name, value, f"use a whole number from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise _bad(name, value, f"use a whole number from {low} to {high}")
    return number


def resolve(bench: Benchmark, flags: dict | None = None, env: dict | None = None,
            defaults: dict | None = None) -> RunConfig:
    """Merge defaults, environment and flags for ``bench``; validate every value.

    ``defaults`` (by setting name, e.g. the demo's ``{"n_count": "64", "device": "cpu"}``) stand in
    for the benchmark's defaults; the environment and flags still beat them."""
    flags = flags or {}
    env = dict(os.environ) if env is None else env
    defaults = defaults or {}

    def get(key):
        raw, name = _source(key, flags, env)
        if raw is None and defaults.get(key) is not None:
            return str(defaults[key]), f"{SETTINGS[key]} (default)"
        return raw, name

    raw, name = get("scenario")
    scenario = bench.default_scenario if raw is None else SCENARIO_ALIASES.get(raw.lower())
    if scenario not in bench.scenarios:
        raise _bad(name, raw, f"{bench.make_name} runs {'|'.join(bench.scenarios)}")

    raw, name = get("n_count")
    n_count = bench.total_count if raw is None else _int(name, raw, 1, bench.total_count)

    raw, name = get("data_type")
    data_type = "float32" if raw is None else DATA_TYPE_ALIASES.get(raw.lower(), raw.lower())
    if data_type not in bench.data_types:
        spellings = "|".join(bench.data_types)
        raise _bad(name, raw, f"{bench.make_name} accepts {spellings} (fp32, fp16, bf16 also accepted)")

    raw, name = get("device")
    device = "auto" if raw is None else raw.strip().lower()
    if not re.fullmatch(r"auto|cpu|cuda(:[0-9]+)?", device):
        raise _bad(name, raw, "use cpu, cuda, cuda:N (N a GPU index) or auto (cuda:0 when present, else cpu)")

    raw, name = get("mode")
    mode = "accuracy" if raw is None else raw.strip().lower()
    if mode not in MODES:
        raise _bad(name, raw, "use accuracy or performance")

    raw, name = get("backend")
    backend = "reference" if raw is None else raw.strip()
    if backend != "reference" and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", backend):
        raise _bad(name, raw, "use 'reference' or a class as package.module:ClassName")

    raw, name = get("batch_size")
    batch_size = bench.default_batch_size if raw is None else _int(name, raw, 1, MAX_BATCH_SIZE)

    data_dir = _data_dir(get("data_dir"))
    log_dir = _log_dir(get("log_dir"))

    offline = _flag(get("offline"), False, "use 1 (never open a connection) or 0")
    raw, name = get("resume")
    resume = "interrupted" if raw is None else {True: "all", False: "none"}[_flag(
        (raw, name), True, "leave it unset (reuse the samples of an interrupted run), 1 (also those of a "
                           "finished run with the same model and settings) or 0 (compute every sample)")]

    raw, name = get("manifest")
    manifest = None
    if raw is not None:
        path = Path(raw).expanduser().resolve()
        if not path.is_file():
            raise _bad(name, raw, "give the path of an existing artifact manifest (JSON)")
        manifest = str(path)

    raw, name = get("workers")
    workers = (os.cpu_count() or 1) if raw is None else _int(name, raw, 1, 256)

    raw, name = get("data_source")
    data_source = "upstream" if raw is None else raw.strip().lower()
    if data_source not in DATA_SOURCES:
        raise _bad(name, raw, "use upstream (the public sources) or dvc (the site's DVC remote mlperf-data)")

    raw, name = get("shards")
    shards = 1 if raw is None else _int(name, raw, 1, min(1024, n_count))
    raw, name = get("shard")
    if raw is None and shards > 1:
        raise UsageError(f"SHARDS={shards} needs SHARD=0..{shards - 1}: which slice this process runs.")
    shard = 0 if raw is None else _int(name, raw, 0, shards - 1)

    raw, name = get("threads")
    threads = 0 if raw is None else _int(name, raw, 0, 1024)

    system = _system(get("system"))
    find_peak = _flag(get("find_peak"), False, "use 1 (search the highest VALID target_qps) or 0")
    raw, name = get("find_peak")
    if find_peak and (mode != "performance" or scenario not in ("Offline", "Server") or shards > 1):
        raise _bad(name, raw, f"FIND_PEAK searches target_qps of one performance run: it needs MODE=performance, "
                              f"SCENARIO=Offline or Server and no SHARDS (here MODE={mode}, SCENARIO={scenario}, "
                              f"SHARDS={shards})")

    return RunConfig(bench.id, scenario, n_count, data_type, device, mode, backend, batch_size,
                     data_dir, log_dir, offline, manifest, workers, data_source, resume, shards, shard,
                     threads, benchmark_options(bench, env), system=system, find_peak=find_peak,
                     compliance_run=_compliance_run(bench, env))


def _system(source: tuple[str | None, str]) -> str | None:
    """SYSTEM: a folder of loadgen/systems/ holding user.conf (that system's LoadGen settings)."""
    raw, name = source
    if raw is None:
        return None
    there = sorted(p.parent.name for p in SYSTEMS_DIR.glob("*/user.conf"))
    if not SAFE_NAME.fullmatch(raw.strip()) or not (SYSTEMS_DIR / raw.strip() / "user.conf").is_file():
        raise _bad(name, raw, f"name a folder of {SYSTEMS_DIR} that holds user.conf (there: "
                              f"{', '.join(there) or 'none'}); leave it unset for the shared placeholder "
                              "loadgen/user.conf")
    return raw.strip()



def paths(env: dict | None = None) -> tuple[str, str]:
    """``(data_dir, log_dir)`` for commands that run no benchmark (list, summary, demo fixtures)."""
    env = dict(os.environ) if env is None else env
    return _data_dir(_source("data_dir", {}, env)), _log_dir(_source("log_dir", {}, env))


SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a folder and file name in a submission tree
def benchmark_options(bench: Benchmark, env: dict) -> dict:
    """``{variable: parsed value}`` of the benchmark's own settings (see declaration.Option)."""
    values = {}
    for option in bench.options:
        raw = env.get(option.variable, "")
        raw = option.default if raw.strip() == "" else raw
        try:
            values[option.variable] = load_object(option.parse)(raw)
        except ValueError as exc:
            raise _bad(option.variable, raw, str(exc)) from None
    return values


def _flag(source: tuple[str | None, str], default: bool, allowed: str) -> bool:
    raw, name = source
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise _bad(name, raw, allowed)
    return value in ("1", "true", "yes")


def _data_dir(source: tuple[str | None, str]) -> str:
    """The default data/ is created when needed; a DATA_DIR given must exist (a typo must not start
    a download of hundreds of gigabytes into a new tree somewhere else)."""
    raw, name = source
    if raw is None:
        return str(ROOT / "data")
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise _bad(name, raw, "give an existing directory (create it first; only the default data/ is "
                              "created for you)" if not path.exists() else "give a directory, not a file")
    return str(path.resolve())


def _log_dir(source: tuple[str | None, str]) -> str:
    """LOG_DIR: an existing writable directory, or one that can be created in a writable parent."""
    raw, name = source
    path = ROOT / "logs" if raw is None else Path(raw).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise _bad(name, raw, "give a directory, not a file")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise _bad(name, raw, f"{existing} is a file, so no directory can be made under it")
    if not os.access(existing, os.W_OK | os.X_OK) or str(existing).startswith(("/proc", "/sys")):
        raise _bad(name, raw if raw is not None else str(path),
                   f"runs are written there, but {existing} is not writable; give a writable directory")
    return str(path)


def _compliance_run(bench: Benchmark, env: dict) -> str:
    """COMPLIANCE_RUN, set by the compliance driver on each run it starts (never by hand): ``reference``
    or the test whose audit.config the run loads; "" for every other run."""
    raw = env.get("COMPLIANCE_RUN", "").strip()
    allowed = ("reference", *_required_tests(bench))
    if raw and raw not in allowed:
        raise _bad("COMPLIANCE_RUN", raw, f"the compliance driver sets it to {'|'.join(allowed)}; "
                                          f"run compliance tests with make compliance_{bench.make_name} TEST=...")
    return raw


def _required_tests(bench: Benchmark) -> tuple[str, ...]:
    from .compliance import required

    return required(bench.loadgen_model)
