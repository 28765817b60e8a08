"""Where a result came from: harness revision, package versions, machine."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .registry import ROOT

CORE_PACKAGES = ("mlcommons-loadgen", "numpy")


def git_revision() -> dict:
    def git(*args):
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": "unknown", "dirty": None}
    if head.returncode != 0:
        return {"commit": "unknown", "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def package_versions(names) -> dict[str, str]:
    versions = {}
    for name in dict.fromkeys(names):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def engine_of(bench, config) -> str:
    """What generated the outputs: the ENGINE setting where the benchmark has one, else the backend
    class (the declared one for BACKEND=reference)."""
    engine = (getattr(config, "options", None) or {}).get("ENGINE")
    if engine:
        return str(engine)
    return bench.backend if config.backend == "reference" else config.backend


def describe(requirements: Path, engine: str | None = None) -> dict:
    """Revision, interpreter, platform, the installed version of every package the benchmark pins,
    the GPUs (model, count, driver, CUDA, cuDNN; null on a CPU machine) and the engine."""
    from .envs import requirement_pins
    from .gpu_info import device_facts

    return {
        "harness": git_revision(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions([*CORE_PACKAGES, *requirement_pins(requirements)]),
        "device": device_facts(),
        "engine": engine,
    }
