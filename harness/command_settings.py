"""Settings of the commands that run no benchmark (summary, report, diff, submission, compliance,
publish), read from the environment at the edge and validated like a run's (harness/config.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import SAFE_NAME, _bad, _flag, _required_tests, paths
from .declaration import Benchmark
from .errors import UsageError
from .registry import ROOT


SUMMARY_FORMATS = ("text", "csv", "json")
# what finds and verifies the artifacts a log is scored with; the benchmark's own options join them
SCORING_SETTINGS = ("DATA_DIR", "MANIFEST", "OFFLINE", "DATA_SOURCE", "WORKERS")


def scoring_settings(bench: Benchmark, env: dict | None = None):
    """The configuration of a command that scores a log made elsewhere (the accuracy commands,
    ``harness diff``): only SCORING_SETTINGS and the benchmark's options are read and validated, so a
    SCENARIO or N_COUNT left in the shell from a run does not stop the scoring of a log."""
    from .config import resolve

    env = dict(os.environ) if env is None else env
    wanted = (*SCORING_SETTINGS, *(option.variable for option in bench.options))
    return resolve(bench, {}, {k: v for k, v in env.items() if k in wanted})


def summary_settings(env: dict | None = None) -> tuple[str, bool]:
    """``(FORMAT, DEMO)`` of ``make summary`` and ``make report``: text, csv or json, and whether
    demo runs are shown (hidden unless asked for: their numbers are no results)."""
    env = dict(os.environ) if env is None else env
    raw = env.get("FORMAT", "")
    output = raw.strip().lower() or "text"
    if output not in SUMMARY_FORMATS:
        raise _bad("FORMAT", raw, "use text, csv or json")
    demos = _flag((env.get("DEMO") or None, "DEMO"), False, "use 1 (show demo runs too) or 0 (hide them)")
    return output, demos


def diff_runs(flag: str | None, log_dir: str, env: dict | None = None) -> tuple[str, str] | None:
    """DIFF=A,B (or ``--diff A,B``) of ``make report``: two run directories, each a path or a run id
    as ``make summary`` shows it (found under LOG_DIR); None when unset."""
    env = dict(os.environ) if env is None else env
    raw, name = (flag, "--diff") if flag is not None else (env.get("DIFF", ""), "DIFF")
    if not raw.strip():
        return None
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) != 2 or not all(parts):
        raise _bad(name, raw, "give two runs separated by a comma, A,B: run directories or run ids")
    found = []
    for part in parts:
        path = Path(part).expanduser()
        if not path.is_dir() and "/" not in part:  # a run id: <stamp>-<id> under LOG_DIR
            matches = sorted(Path(log_dir).glob(f"*/*/*/{part}"))
            path = matches[0] if len(matches) == 1 else path
        if not (path / "result.json").is_file():
            raise _bad(name, raw, f"{part} is neither a run directory (one holding result.json) nor the id "
                                  f"of one run under {log_dir}")
        found.append(str(path.resolve()))
    return found[0], found[1]


SUBMISSION_FLAGS = {"system": "SYSTEM", "submitter": "SUBMITTER", "division": "DIVISION", "runs": "RUNS",
                    "demo": "DEMO", "checker": "SUBMISSION_CHECKER", "out": "OUT"}


@dataclass(frozen=True)
class SubmissionSettings:
    system: str
    submitter: str
    division: str  # closed | open
    runs: tuple[str, ...]  # run directories; () = the newest eligible runs under log_dir
    demo: bool  # a dry run, which may hold demo runs and runs that did not pass
    checker: str | None  # an mlcommons/inference checkout whose submission checker runs on the tree
    out: str
    log_dir: str
    env_dir: str  # the benchmark environments (one of them holds the LoadGen wheel the runs used)


def submission_settings(flags: dict | None = None, env: dict | None = None) -> SubmissionSettings:
    """SYSTEM, SUBMITTER, DIVISION, RUNS, DEMO, SUBMISSION_CHECKER and OUT of ``make submission``;
    a flag (``--system``, ..., ``--checker``) beats its variable."""
    from .envs import env_root

    flags, env = flags or {}, dict(os.environ) if env is None else env

    def get(key):
        if flags.get(key) not in (None, False):
            return str(flags[key]), "--" + key
        return env.get(SUBMISSION_FLAGS[key], ""), SUBMISSION_FLAGS[key]

    names = {}
    for key in ("system", "submitter"):
        raw, name = get(key)
        allowed = ("it names folders and files of the tree: 1 to 64 letters, digits, '.', '_' or '-', starting "
                   "with a letter or a digit")
        if not raw:
            raise UsageError(f"{name} is not set: {allowed} (make submission SYSTEM=my-server SUBMITTER=my-org).")
        if not SAFE_NAME.fullmatch(raw):
            raise _bad(name, raw, allowed)
        names[key] = raw
    raw, name = get("division")
    division = raw.strip().lower() or "closed"
    if division not in ("closed", "open"):
        raise _bad(name, raw, "use closed or open")
    log_dir = paths(env)[1]
    raw, name = get("runs")
    runs = tuple(_submission_run(name, raw, part.strip(), log_dir) for part in raw.split(",")) if raw.strip() else ()
    raw, name = get("demo")
    demo = _flag((raw or None, name), False, "use 1 (a dry run: demo runs and runs that did not pass too) or 0")
    raw, name = get("checker")
    checker = Path(raw).expanduser().resolve() if raw.strip() else None
    if checker and not (checker / "tools" / "submission" / "submission_checker.py").is_file():
        raise _bad(name, raw, "give a checkout of mlcommons/inference at v4.1, the folder that holds "
                              "tools/submission/submission_checker.py")
    raw, name = get("out")
    out = Path(raw).expanduser().resolve() if raw.strip() else ROOT / "submission"
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise _bad(name, raw or str(out), f"the tree is written there, but {existing} is not a writable directory")
    if (out / division / names["submitter"]).exists():
        raise _bad(name, raw or str(out), f"it already holds {division}/{names['submitter']} from an earlier export: "
                                          "move that away (keep the systems JSON you filled in) or give another OUT")
    return SubmissionSettings(names["system"], names["submitter"], division, runs, demo,
                              str(checker) if checker else None, str(out), log_dir, str(env_root(env)))


def _submission_run(name: str, raw: str, part: str, log_dir: str) -> str:
    """One entry of RUNS: a run directory, or the id (<stamp>-<id>) of one run under LOG_DIR."""
    path = Path(part).expanduser()
    if not path.is_dir() and "/" not in part:
        matches = sorted(Path(log_dir).glob(f"*/*/*/{part}"))
        path = matches[0] if len(matches) == 1 else path
    if not part or not (path / "result.json").is_file():
        raise _bad(name, raw, f"{part!r} is neither a run directory (one holding result.json) nor the id of one "
                              f"run under {log_dir}")
    return str(path.resolve())


def publish_settings(flags: dict, env: dict | None = None) -> tuple[str, bool]:
    """``(RUN, FORCE)`` of ``make publish_log_<name>``: the run directory to publish, and whether a
    run that did not pass may be published (never one that fails its integrity checks)."""
    env = dict(os.environ) if env is None else env
    run = flags.get("run") or env.get("RUN", "")
    force = _flag((None if not env.get("FORCE") else env["FORCE"], "FORCE"), False,
                  "use 1 (publish a run that did not pass) or 0")
    return run, bool(flags.get("force")) or force


COMPLIANCE_TESTS = ("TEST01", "TEST04", "TEST05", "TEST06")


def compliance_settings(bench: Benchmark, env: dict | None = None) -> tuple[str, ...]:
    """TEST (one of TEST01, TEST04, TEST05, TEST06, or several joined by commas) or COMPLIANCE=all (the
    tests v4.1 requires of the benchmark) of ``make compliance_<name>``: the tests to run, in order."""
    env = dict(os.environ) if env is None else env
    required = _required_tests(bench)
    if not required:
        raise UsageError(f"{bench.make_name} has no compliance test in MLPerf Inference v4.1: nothing to run.")
    allowed = f"{bench.make_name} takes {'|'.join(required)} (the tests v4.1 requires of it)"
    test, every = env.get("TEST", "").strip(), env.get("COMPLIANCE", "").strip()
    if every and every.lower() != "all":
        raise _bad("COMPLIANCE", env["COMPLIANCE"], f"use all (every test v4.1 requires: {', '.join(required)}) "
                                                     "or leave it unset and name one with TEST=")
    if every and test:
        raise _bad("TEST", env["TEST"], "give TEST or COMPLIANCE=all, not both")
    if every:
        return required
    if not test:
        raise UsageError(f"TEST is not set: {allowed}, e.g. make compliance_{bench.make_name} TEST={required[0]}; "
                         "or COMPLIANCE=all.")
    tests = tuple(t.strip().upper() for t in test.split(","))
    for name in tests:
        if name not in COMPLIANCE_TESTS:
            raise _bad("TEST", env["TEST"], f"use {'|'.join(COMPLIANCE_TESTS)}; {allowed}")
        if name not in required:
            raise _bad("TEST", env["TEST"], allowed)
    return tuple(dict.fromkeys(tests))
