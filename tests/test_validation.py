"""Every setting is checked before any heavy work: exit 2 naming the setting, the value and what is
allowed, with nothing downloaded and no run directory created."""

from __future__ import annotations

import pytest
from conftest import ROOT, harness_env, run


@pytest.mark.parametrize("setting,value,says", [
    ("N_COUNT", "-3", "N_COUNT='-3' is not valid: use a whole number from 1 to 13368"),
    ("GPUS", "x", "GPUS='x' is not valid: list one device per shard"),
    ("GPUS", "0,0", "GPUS='0,0' is not valid"),
    ("DATA_DIR", "/no/such/data/dir", "DATA_DIR='/no/such/data/dir' is not valid: give an existing directory"),
    ("LOG_DIR", "/proc/x", "LOG_DIR='/proc/x' is not valid: runs are written there, but /proc is not writable"),
    ("LOG_DIR", "/etc/hostname/logs", "LOG_DIR='/etc/hostname/logs' is not valid"),
])
def test_the_entry_script_refuses_a_bad_value_before_looking_for_an_environment(tmp_path, setting, value, says):
    env = harness_env(tmp_path, ENV_MANAGER="uv", ENV_DIR=tmp_path / "envs", **{setting: value})
    done = run(["bash", str(ROOT / "scripts" / "eval_gpt-j.sh")], env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and "no environment" not in done.stderr
    assert not (tmp_path / "envs").exists() and not (tmp_path / "logs").exists()
    assert not any((tmp_path / "data").iterdir())


def test_a_gpu_that_is_not_there_is_named_before_any_download(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    done = run(["bash", str(ROOT / "scripts" / "eval.sh"), "resnet"], harness_env(tmp_path, DEVICE="cuda:9"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("DEVICE='cuda:9' but this torch") == 1
    assert not any((tmp_path / "data").iterdir()) and not (tmp_path / "logs").exists()
