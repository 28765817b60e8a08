"""Verified logs and data through DVC: pull, publish and seed the ``mlperf-data`` remote.

The remote's name is committed in ``.dvc/config``; its URL, endpoint and credentials are set per
site (``dvc remote add --local mlperf-data s3://...``, ``dvc remote modify --local ...``, or the
AWS_* environment variables) and never committed. Every operation runs the real ``dvc`` command
in the repository root; a failure is translated into what to do, with DVC's own words kept.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .declaration import Benchmark
from .errors import HarnessError
from .hashing import file_digest
from .registry import ROOT

REMOTE = "mlperf-data"
INTERNAL = ROOT / "logs" / "internal"
SETUP_HINT = (f"configure it for this site, e.g. `dvc remote add --local {REMOTE} s3://<bucket>/<path>` "
              f"(plus `dvc remote modify --local {REMOTE} endpointurl https://...` for MinIO or R2), or "
              f"`dvc remote add --local {REMOTE} /mnt/nfs/mlperf-data` for a directory; see README.md")


class DvcError(HarnessError):
    pass


def executable() -> str:
    """The dvc command: on PATH, or installed beside this interpreter (the tools environment)."""
    beside = Path(sys.executable).parent / "dvc"
    found = shutil.which("dvc") or (str(beside) if beside.exists() else None)
    if not found:
        raise DvcError("dvc is not installed for this interpreter: run through `make log_<name>` "
                       "(it builds the tools environment), or `pip install -r scripts/envs/dvc.txt`.")
    return found


def explain(stderr: str) -> str:
    """DVC's error, preceded by what it most likely means for the user."""
    text = stderr.strip()
    hints = (
        (("Unable to locate credentials",), "no credentials for the remote: set AWS_ACCESS_KEY_ID and "
         f"AWS_SECRET_ACCESS_KEY, or `dvc remote modify --local {REMOTE} access_key_id ...`"),
        (("Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "(403)"),
         "the remote refused the credentials (wrong key or secret, or no access to the bucket)"),
        (("Could not connect to the endpoint", "Connection refused"),
         "the remote's endpoint cannot be reached: check its URL/endpointurl and the network"),
        (("NoSuchBucket", "bucket does not exist"), "the bucket named in the remote's URL does not exist"),
        (("no remote specified", "does not exist in config"), f"the remote '{REMOTE}' is not set up: {SETUP_HINT}"),
    )
    for needles, hint in hints:
        if any(n in text for n in needles):
            return f"{hint}.\n  dvc said: {text}"
    return f"dvc failed.\n  dvc said: {text}"


def run(*args: str, what: str) -> str:
    done = subprocess.run([executable(), *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise DvcError(f"{what}: {explain(done.stderr or done.stdout)}")
    return done.stdout


def require_remote() -> None:
    remotes = run("remote", "list", what="reading the DVC configuration")
    if not any(line.split()[:1] == [REMOTE] for line in remotes.splitlines()):
        raise DvcError(f"the DVC remote '{REMOTE}' has no URL on this machine: {SETUP_HINT}.")


def pointer_of(bench: Benchmark) -> Path:
    return INTERNAL / f"{bench.verified_log_name}.dvc"


def pull_log(bench: Benchmark) -> Path:
    """``make log_<name>``: restore logs/internal/<folder>/ from the remote."""
    pointer = pointer_of(bench)
    if not pointer.is_file():
        raise DvcError(f"no verified log is published for {bench.make_name}: {pointer.relative_to(ROOT)} does "
                       f"not exist. Publish one with `make publish_log_{bench.make_name} RUN=<run dir>`.")
    require_remote()
    run("pull", str(pointer.relative_to(ROOT)), what=f"pulling the verified {bench.make_name} log")
    target = INTERNAL / bench.verified_log_name
    print(f"== verified {bench.make_name} log restored in {target.relative_to(ROOT)}")
    return target


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


LOADGEN_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")


def check_publishable(bench: Benchmark, run_dir: Path, log_dir: Path, force: bool) -> dict:
    """The run's result.json if ``run_dir`` may become the verified log, else a DvcError saying why.

    Only a complete accuracy run of the full dataset, not a demo, not a single shard, with all its
    files and an accuracy log whose sha256 is the ``hash=`` of its accuracy.txt. FORCE=1 lets a run
    that did not pass through; it never excuses any other check."""
    run_dir, log_dir = Path(run_dir).resolve(), Path(log_dir).resolve()
    where = run_dir.relative_to(log_dir).parts if run_dir.is_relative_to(log_dir) else ()
    if len(where) != 4 or where[0] == "internal" or not run_dir.is_dir():
        raise DvcError(f"RUN={run_dir} is not a run directory inside LOG_DIR={log_dir}: give "
                       f"{log_dir}/{bench.make_name}/<Scenario>/<data type>/<run>.")
    try:
        result = json.loads((run_dir / "result.json").read_text())
    except FileNotFoundError:
        raise DvcError(f"RUN={run_dir} is not a finished run directory (no result.json).") from None
    except (OSError, ValueError) as exc:
        raise DvcError(f"RUN={run_dir}: result.json cannot be read ({exc}); is it truncated? "
                       "Only a run the harness finished can be published.") from None
    if not isinstance(result, dict) or result.get("benchmark") != bench.id:
        name = result.get("name", result.get("benchmark")) if isinstance(result, dict) else "?"
        raise DvcError(f"RUN={run_dir} is a {name} run, not {bench.make_name}.")
    config, samples = result.get("config") or {}, result.get("samples") or {}
    refusals = [
        (result.get("status") != "completed", f"it did not complete ({result.get('status')})"),
        (bool(result.get("demo")), "it is a demo (random weights on generated data)"),
        ("shard" in result, "it is one shard of a sharded run; publish the run `python -m harness merge` made"),
        (config.get("mode") != "accuracy", f"it is a {config.get('mode')} run, not an accuracy run"),
        (samples.get("partial", True) or config.get("n_count") != bench.total_count
         or samples.get("scored") != bench.total_count,
         f"it scored {samples.get('scored')} of the {bench.total_count} samples; publish a run of the full set"),
    ]
    for refused, why in refusals:
        if refused:
            raise DvcError(f"RUN={run_dir} cannot be published as the verified log: {why}.")
    needed = ("result.json", "accuracy.txt", "mlperf_log_accuracy.json",
              *(() if result.get("merged_from") else LOADGEN_FILES))
    missing = [name for name in needed if not (run_dir / name).is_file()]
    if missing:
        raise DvcError(f"RUN={run_dir} lacks {', '.join(missing)}; only a complete run directory is published.")
    lines = (run_dir / "accuracy.txt").read_text().splitlines()
    recorded = lines[-1].partition("hash=")[2].strip() if lines else ""
    actual = file_digest(run_dir / "mlperf_log_accuracy.json", "sha256")
    if recorded != actual:
        raise DvcError(f"RUN={run_dir}: mlperf_log_accuracy.json has sha256 {actual}, but accuracy.txt says "
                       f"hash={recorded or '(none)'}; the log is not the one that was scored.")
    if result.get("verdict") != "PASS" and not force:
        raise DvcError(f"RUN={run_dir} did not pass its verdict ({result.get('verdict')}); only passing runs "
                       "are published as verified logs. Use FORCE=1 to publish it anyway.")
    return result


def publish(bench: Benchmark, run_dir: Path, log_dir: Path, force: bool) -> Path:
    """Copy a finished run to logs/internal/<folder>, dvc add, dvc push, stage the pointer.

    A failure on the way leaves things as they were: the earlier verified log and pointer, nothing staged."""
    run_dir = Path(run_dir).resolve()
    check_publishable(bench, run_dir, log_dir, force)
    require_remote()
    target, pointer = INTERNAL / bench.verified_log_name, pointer_of(bench)
    if target.exists() and _same_tree(run_dir, target):
        print(f"== {target.relative_to(ROOT)} already holds this run; pushing it again")
        _add_and_push(target, pointer, None)
    elif (target.exists() or pointer.exists()) and not force:
        raise DvcError(f"{target.relative_to(ROOT)} already holds a different verified log; FORCE=1 "
                       "replaces it (the old one stays in the remote and in git history).")
    else:
        INTERNAL.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{bench.verified_log_name}.", dir=INTERNAL))
        try:
            shutil.copytree(run_dir, staging / "run")
            if target.exists():
                target.rename(staging / "previous")
            (staging / "run").rename(target)
            _add_and_push(target, pointer, staging / "previous")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    rel = str(target.relative_to(ROOT))
    print(f"== published {rel}; commit {rel}.dvc to share it")
    return pointer


def _add_and_push(target: Path, pointer: Path, previous: Path | None) -> None:
    """dvc add + push, then stage the pointer; on failure restore the previous folder and pointer."""
    rel = str(target.relative_to(ROOT))
    ignore = INTERNAL / ".gitignore"
    saved = {path: path.read_bytes() for path in (pointer, ignore) if path.is_file()}
    try:
        run("add", rel, what=f"dvc add {rel}")
        run("push", f"{rel}.dvc", what=f"pushing {rel} to '{REMOTE}'")
    except BaseException:
        for path in (pointer, ignore):
            subprocess.run(["git", "reset", "-q", "--", str(path)], cwd=ROOT, capture_output=True, check=False)
            if path in saved:
                path.write_bytes(saved[path])
            else:
                path.unlink(missing_ok=True)
        if previous is not None:
            shutil.rmtree(target, ignore_errors=True)
            if previous.exists():
                previous.rename(target)
        raise
    staged = [f"{rel}.dvc"] + ([str(ignore.relative_to(ROOT))] if ignore.exists() else [])
    subprocess.run(["git", "add", *staged], cwd=ROOT, check=False)


def pull_paths(paths: list[Path]) -> None:
    """DATA_SOURCE=dvc: pull these tracked files (each needs its ``.dvc`` pointer beside it)."""
    pointers = []
    for path in paths:
        pointer = path.with_name(path.name + ".dvc")
        if not pointer.is_file():
            raise DvcError(f"DATA_SOURCE=dvc but {pointer} does not exist: seed the remote from a verified "
                           "local copy with `make data_push_<name>` on a machine that has the files.")
        pointers.append(str(pointer.relative_to(ROOT)))
    require_remote()
    run("pull", *pointers, what="pulling data from the DVC remote")


def push_paths(paths: list[Path]) -> list[Path]:
    """``make data_push_<name>``: track verified files with DVC, push them, stage their pointers."""
    for path in paths:
        if not path.resolve().is_relative_to(ROOT):
            raise DvcError(f"{path} is outside the repository; DVC tracks files under {ROOT} only "
                           "(leave DATA_DIR at its default data/).")
    require_remote()
    rels = [str(p.resolve().relative_to(ROOT)) for p in paths]
    run("add", *rels, what="dvc add of the data files")
    run("push", *[r + ".dvc" for r in rels], what=f"pushing data to '{REMOTE}'")
    pointers = [ROOT / (r + ".dvc") for r in rels]
    ignores = {str(p.parent / ".gitignore") for p in pointers if (p.parent / ".gitignore").exists()}
    subprocess.run(["git", "add", *map(str, pointers), *ignores], cwd=ROOT, check=False)
    return pointers
