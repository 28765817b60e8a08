"""Configuration: defaults < environment < flags; every bad value named, exit 2, before heavy work."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT, harness_env

from harness import config, registry
from harness.errors import UsageError

RESNET = registry.get("resnet")


def test_defaults_come_from_the_declaration():
    cfg = config.resolve(RESNET, {}, {})
    assert (cfg.scenario, cfg.n_count, cfg.data_type, cfg.device, cfg.mode, cfg.batch_size) == (
        "Offline", 50000, "float32", "auto", "accuracy", 32)
    assert cfg.backend == "reference" and cfg.offline is False and cfg.manifest is None


def test_environment_beats_defaults_and_flags_beat_environment():
    env = {"SCENARIO": "server", "N_COUNT": "100", "DATA_TYPE": "bf16", "DEVICE": "CUDA:1",
           "BATCH_SIZE": "8", "MODE": "performance", "OFFLINE": "1"}
    cfg = config.resolve(RESNET, {}, env)
    assert (cfg.scenario, cfg.n_count, cfg.data_type, cfg.device, cfg.batch_size, cfg.mode, cfg.offline) == (
        "Server", 100, "bfloat16", "cuda:1", 8, "performance", True)
    cfg = config.resolve(RESNET, {"scenario": "SingleStream", "n_count": "7"}, env)
    assert (cfg.scenario, cfg.n_count, cfg.data_type) == ("SingleStream", 7, "bfloat16")


@pytest.mark.parametrize("alias,name", [("fp32", "float32"), ("FP16", "float16"), ("bf16", "bfloat16"),
                                        ("float32", "float32")])
def test_data_type_aliases_map_to_one_spelling(alias, name):
    assert config.resolve(RESNET, {}, {"DATA_TYPE": alias}).data_type == name


@pytest.mark.parametrize("var,value,allowed", [
    ("SCENARIO", "Batch", "Offline|Server|SingleStream|MultiStream"),
    ("N_COUNT", "0", "from 1 to 50000"),
    ("N_COUNT", "50001", "from 1 to 50000"),
    ("N_COUNT", "ten", "from 1 to 50000"),
    ("N_COUNT", "-5", "from 1 to 50000"),
    ("DATA_TYPE", "int8", "float32|float16|bfloat16"),
    ("DEVICE", "gpu0", "cpu, cuda, cuda:N"),
    ("DEVICE", "cuda:x", "cpu, cuda, cuda:N"),
    ("MODE", "submission", "accuracy or performance"),
    ("BATCH_SIZE", "0", "from 1 to 4096"),
    ("BACKEND", "my backend", "package.module:ClassName"),
    ("OFFLINE", "maybe", "use 1"),
    ("WORKERS", "0", "from 1 to 256"),
    ("DATA_SOURCE", "s3", "use upstream"),
    ("RESUME", "sometimes", "leave it unset"),
    ("THREADS", "many", "from 0 to 1024"),
])
def test_each_bad_value_names_variable_value_and_what_is_allowed(var, value, allowed):
    with pytest.raises(UsageError) as err:
        config.resolve(RESNET, {}, {var: value})
    message = str(err.value)
    assert message.startswith(f"{var}={value!r}") and allowed in message
    assert err.value.exit_code == 2


def test_threads_default_to_torchs_choice_and_are_applied_when_given():
    torch = pytest.importorskip("torch")
    from harness.torch_device import apply_threads

    assert config.resolve(RESNET, {}, {}).threads == 0
    assert config.resolve(RESNET, {}, {"THREADS": "3"}).threads == 3
    before = torch.get_num_threads()
    try:
        apply_threads(0)
        assert torch.get_num_threads() == before
        apply_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_bad_flag_is_blamed_on_the_flag():
    with pytest.raises(UsageError, match=r"^--n-count='0'"):
        config.resolve(RESNET, {"n_count": "0"}, {"N_COUNT": "5"})


def test_a_data_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(UsageError, match="DATA_DIR"):
        config.resolve(RESNET, {}, {"DATA_DIR": str(target)})


@pytest.mark.parametrize("var,value", [("SCENARIO", "offline_mode"), ("N_COUNT", "99999"),
                                       ("DATA_TYPE", "fp8"), ("DEVICE", "tpu"), ("MODE", "x"),
                                       ("BATCH_SIZE", "abc")])
def test_bad_values_exit_2_at_once_from_the_entry_script(tmp_path, var, value):
    env = harness_env(tmp_path, **{var: value})
    done = subprocess.run(["bash", "scripts/eval_resnet.sh"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert f"{var}={value!r}" in done.stderr
    assert not (tmp_path / "logs").exists()


def test_the_resolved_configuration_is_printed(tmp_path):
    env = harness_env(tmp_path, OFFLINE=1, N_COUNT=3, SCENARIO="Server")
    done = subprocess.run([sys.executable, "-m", "harness", "run", "resnet", "--batch-size", "5"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert re.search(r"scenario +Server", done.stdout) and re.search(r"n_count +3 ", done.stdout)
    assert re.search(r"batch_size +5 ", done.stdout) and re.search(r"resume +interrupted", done.stdout)


def test_unknown_benchmark_suggests_the_close_name():
    with pytest.raises(UsageError, match="Did you mean 'resnet'"):
        registry.get("resnt")


def test_scoring_reads_only_what_finds_the_artifacts(tmp_path):
    from harness import command_settings, registry

    bench = registry.get("llama2")
    stray = {"SCENARIO": "Bogus", "N_COUNT": "-3", "DEVICE": "cuda:x", "DATA_DIR": str(tmp_path), "WORKERS": "3"}
    config = command_settings.scoring_settings(bench, stray)
    assert (config.data_dir, config.workers, config.scenario) == (str(tmp_path), 3, "Offline")
    with pytest.raises(UsageError, match="DATA_DIR='/nowhere/at/all' is not valid"):
        command_settings.scoring_settings(bench, {"DATA_DIR": "/nowhere/at/all", "SCENARIO": "Bogus"})
