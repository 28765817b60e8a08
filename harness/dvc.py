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


def _check_run(bench: Benchmark, run_dir: Path, force: bool) -> None:
    result_file = run_dir / "result.json"
    if not result_file.is_file():
        raise DvcError(f"RUN={run_dir} is not a finished run directory (no result.json).")
    result = json.loads(result_file.read_text())
    if result.get("benchmark") != bench.id:
        raise DvcError(f"RUN={run_dir} is a {result.get('name', result.get('benchmark'))} run, not {bench.make_name}.")
    if result.get("verdict") != "PASS" and not force:
        raise DvcError(f"RUN={run_dir} did not pass its verdict ({result.get('verdict')}); only passing runs "
                       "are published as verified logs. Use FORCE=1 to publish it anyway.")


def publish(bench: Benchmark, run_dir: Path, force: bool) -> Path:
    """Copy a finished run to logs/internal/<folder>, dvc add, dvc push, stage the pointer."""
    run_dir = run_dir.resolve()
    _check_run(bench, run_dir, force)
    require_remote()
    target, pointer = INTERNAL / bench.verified_log_name, pointer_of(bench)
    if target.exists() and _same_tree(run_dir, target):
        print(f"== {target.relative_to(ROOT)} already holds this run; pushing it again")
    elif (target.exists() or pointer.exists()) and not force:
        raise DvcError(f"{target.relative_to(ROOT)} already holds a different verified log; FORCE=1 "
                       "replaces it (the old one stays in the remote and in git history).")
    else:
        INTERNAL.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{bench.verified_log_name}.", dir=INTERNAL))
        shutil.copytree(run_dir, staging / "run")
        if target.exists():
            shutil.rmtree(target)
        (staging / "run").rename(target)
        staging.rmdir()
    rel = str(target.relative_to(ROOT))
    run("add", rel, what=f"dvc add {rel}")
    run("push", f"{rel}.dvc", what=f"pushing {rel} to '{REMOTE}'")
    staged = [f"{rel}.dvc"] + ([str((INTERNAL / ".gitignore").relative_to(ROOT))]
                               if (INTERNAL / ".gitignore").exists() else [])
    subprocess.run(["git", "add", *staged], cwd=ROOT, check=False)
    print(f"== published {rel}; commit {rel}.dvc to share it")
    return pointer


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
