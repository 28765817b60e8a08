"""GPU groups (GPUS=0-3,4-7), the process layout of scripts/shards.sh, DEVICE=auto on a machine whose
torch sees no GPU, TORCH_BACKEND, the LLM memory check and the GPU facts in result.json.

No GPU is needed: a fake ``nvidia-smi`` on PATH stands for the driver (torch here is a CPU build, so
"nvidia-smi works but torch sees no CUDA" is real), and a fake interpreter records what each shard
would have run with."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT, harness_env, run

from harness import envs
from harness.gpus import gpu_groups, gpus
from harness.errors import UsageError

H100 = "NVIDIA H100 80GB HBM3"


def fake_nvidia_smi(folder: Path, count: int) -> str:
    """A PATH whose nvidia-smi lists ``count`` H100s; returns the new PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{i}, {H100}, 81559, 550.54.15\\n" for i in range(count))
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '{lines}'\n")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.parametrize("value,groups", [
    ("0-3,4-7", [("0", "1", "2", "3"), ("4", "5", "6", "7")]),
    ("0+1,2+3", [("0", "1"), ("2", "3")]),
    ("0,1,2,3", [("0",), ("1",), ("2",), ("3",)]),
    (" 0-1+5 , cpu,CPU", [("0", "1", "5"), ("cpu",), ("cpu",)]),
    ("7", [("7",)]),
    ("", []),
])
def test_every_form_of_gpus_parses_into_shard_groups(value, groups):
    assert gpu_groups({"GPUS": value}, known=list(range(8))) == groups
    assert gpus({"GPUS": value}) == [",".join(g) for g in groups]  # what shards.sh reads, one line a shard


@pytest.mark.parametrize("value,says", [
    ("x", "'x' is no GPU index or range"),
    ("0,0", "GPU 0 is listed twice (groups must not overlap)"),
    ("0-3,2-5", "GPU 2, 3 is listed twice"),
    ("0+0", "GPU 0 is listed twice"),
    ("0,,1", "an empty shard or group member"),
    ("0+", "an empty shard or group member"),
    ("3-1", "the range 3-1 runs backwards: write 1-3"),
    ("cpu+cpu", "cpu is a shard of its own and joins no group"),
    ("0+cpu", "cpu is a shard of its own"),
    ("0-2000", "GPU 2000 is out of range"),
    ("0,9", "GPU 9 is not on this machine: nvidia-smi lists 0, 1, 2, 3, 4, 5, 6, 7"),
])
def test_a_bad_group_is_refused_naming_what_is_wrong(value, says):
    with pytest.raises(UsageError) as caught:
        gpu_groups({"GPUS": value}, known=list(range(8)))
    assert f"GPUS={value!r} is not valid" in str(caught.value) and says in str(caught.value)


def test_harness_gpus_checks_ids_against_nvidia_smi_and_exits_2(tmp_path):
    path = fake_nvidia_smi(tmp_path / "bin", 4)
    good = run([sys.executable, "-m", "harness", "gpus"], harness_env(tmp_path, GPUS="0+1,2-3,cpu", PATH=path))
    assert good.returncode == 0 and good.stdout.splitlines() == ["0,1", "2,3", "cpu"]
    bad = run([sys.executable, "-m", "harness", "gpus"], harness_env(tmp_path, GPUS="0-4", PATH=path))
    assert bad.returncode == 2 and "GPU 4 is not on this machine: nvidia-smi lists 0, 1, 2, 3" in bad.stderr


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for a benchmark environment's python: records each shard's settings instead of running it.
if [ "$1 $2" = "-m harness" ]; then
  case "$3" in
    env) echo "$0"; exit 0 ;;
    run) while [ $# -gt 0 ]; do [ "$1" = --run-dir-file ] && file="$2"; shift; done
         printf '{"shard": "%s", "shards": "%s", "visible": "%s", "device": "%s"}' \\
           "$SHARD" "$SHARDS" "${CUDA_VISIBLE_DEVICES-unset}" "$DEVICE" > "$RECORD/shard_$SHARD.json"
         echo "$RECORD/run_$SHARD" > "$file"; exit 0 ;;
    merge) shift 3; echo "$@" > "$RECORD/merge.txt"; exit 0 ;;
  esac
fi
exec REAL "$@"
"""


def test_shards_sh_gives_each_group_its_gpus_and_device_cuda(tmp_path):
    record = tmp_path / "record"
    record.mkdir()
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON.replace("REAL", sys.executable))
    fake.chmod(0o755)
    env = harness_env(tmp_path, PYTHON=fake, RECORD=record, PATH=fake_nvidia_smi(tmp_path / "bin", 6),
                      GPUS="0+1,2-5,cpu", CUDA_VISIBLE_DEVICES="7")
    done = run(["bash", str(ROOT / "scripts" / "shards.sh"), "resnet"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    shards = [json.loads((record / f"shard_{i}.json").read_text()) for i in range(3)]
    assert [s["visible"] for s in shards] == ["0,1", "2,3,4,5", "7"]  # the cpu shard keeps the caller's
    assert [len(s["visible"].split(",")) for s in shards[:2]] == [2, 4]  # group size = visible GPUs
    assert [s["device"] for s in shards] == ["cuda", "cuda", "cpu"]  # cuda: the model may spread over the group
    assert {s["shards"] for s in shards} == {"3"} and [s["shard"] for s in shards] == ["0", "1", "2"]
    assert (record / "merge.txt").read_text().split() == [str(record / f"run_{i}") for i in range(3)]


def test_shards_sh_starts_no_shard_for_a_bad_group(tmp_path):
    record = tmp_path / "record"
    record.mkdir()
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON.replace("REAL", sys.executable))
    fake.chmod(0o755)
    env = harness_env(tmp_path, PYTHON=fake, RECORD=record, GPUS="0-3,3-4")
    done = run(["bash", str(ROOT / "scripts" / "shards.sh"), "resnet"], env)
    assert done.returncode == 2 and "GPU 3 is listed twice" in done.stderr
    assert not any(record.iterdir())


def test_device_auto_warns_loudly_when_nvidia_smi_sees_a_gpu_torch_does_not(tmp_path, monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    from harness.torch_device import check_device

    monkeypatch.setenv("PATH", fake_nvidia_smi(tmp_path / "bin", 2))
    check_device("auto", False, "resnet")
    warning = capsys.readouterr().err
    assert "WARNING: DEVICE=auto runs resnet on the CPU" in warning
    assert f"nvidia-smi lists 2 GPU(s) ({H100}, driver 550.54.15)" in warning
    assert "CPU-only build" in warning and "TORCH_BACKEND=cu128" in warning
    with pytest.raises(UsageError, match="llama2 is GPU-sized .* set DEVICE=cpu to run on the CPU anyway"):
        check_device("auto", True, "llama2")
    check_device("cpu", True, "llama2")  # said explicitly: no word
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no nvidia-smi: a CPU machine, nothing to say
    check_device("auto", True, "llama2")
    assert capsys.readouterr().err == ""


def test_a_gpu_sized_benchmark_stops_before_any_run_directory_unless_device_is_cpu(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    path = fake_nvidia_smi(tmp_path / "bin", 1)
    refused = run([sys.executable, "-m", "harness", "run", "gpt-j"], harness_env(tmp_path, PATH=path, OFFLINE=1))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "DEVICE=auto would run gpt-j on the CPU" in refused.stderr and not (tmp_path / "logs").exists()
    allowed = run([sys.executable, "-m", "harness", "run", "gpt-j"],
                  harness_env(tmp_path, PATH=path, OFFLINE=1, DEVICE="cpu"))
    assert allowed.returncode == 3 and "GPU-sized" not in allowed.stderr  # on to the (missing) artifacts


def test_a_demo_with_device_auto_warns_runs_and_records_the_machine(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    env = harness_env(tmp_path, PATH=fake_nvidia_smi(tmp_path / "bin", 2), DEVICE="auto", OFFLINE=1)
    done = run([sys.executable, "-m", "harness", "demo", "bert", "--run-dir-file", str(tmp_path / "run")], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING: DEVICE=auto runs bert on the CPU" in done.stderr
    provenance = json.loads((Path((tmp_path / "run").read_text().strip()) / "result.json").read_text())["provenance"]
    assert provenance["device"] == {"gpu_model": H100, "gpu_count": None, "gpus_on_machine": 2,
                                    "driver": "550.54.15", "cuda": None, "cudnn": None,
                                    "torch": torch.__version__, "torch_cuda_build": None}
    assert provenance["engine"] == "language.bert.backend:ReferenceBackend"


def test_result_json_device_fields_are_null_on_a_cpu_machine(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    from harness import provenance

    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    facts = provenance.describe(ROOT / "language" / "bert" / "requirements.txt", "x:Y")
    assert facts["engine"] == "x:Y" and facts["device"]["torch"] == torch.__version__
    assert {k: v for k, v in facts["device"].items() if k != "torch"} == dict.fromkeys(
        ("gpu_model", "gpu_count", "gpus_on_machine", "driver", "cuda", "cudnn", "torch_cuda_build"))


def test_torch_backend_is_validated():
    assert envs.torch_backend_of({}, "uv") is None and envs.torch_backend_of({"TORCH_BACKEND": " CU128 "}, "uv") == "cu128"
    with pytest.raises(UsageError, match=r"TORCH_BACKEND='cu999' is not valid: use cu126, cu128, cu130, cpu, auto"):
        envs.torch_backend_of({"TORCH_BACKEND": "cu999"}, "uv")
    with pytest.raises(UsageError, match="TORCH_BACKEND='cu128' needs ENV_MANAGER=uv"):
        envs.torch_backend_of({"TORCH_BACKEND": "cu128"}, "venv")


def test_a_bad_torch_backend_exits_2_before_building(tmp_path):
    env = harness_env(tmp_path, ENV_MANAGER="uv", ENV_DIR=tmp_path / "envs", TORCH_BACKEND="cuda12")
    done = run([sys.executable, "-m", "harness", "env", "resnet"], env)
    assert done.returncode == 2 and "TORCH_BACKEND='cuda12' is not valid" in done.stderr
    assert not (tmp_path / "envs").exists()


FAKE_UV = """#!/usr/bin/env bash
# Stands in for uv: records each call; "uv venv PATH" makes PATH/bin/python.
echo "$*" >> "$UV_CALLS"
if [ "$1" = venv ]; then mkdir -p "${@: -1}/bin" && ln -sf "$(command -v python3)" "${@: -1}/bin/python"; fi
"""


def test_torch_backend_reaches_uv_and_a_change_rebuilds_the_environment(tmp_path, monkeypatch):
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    (bin_dir / "uv").write_text(FAKE_UV)
    (bin_dir / "uv").chmod(0o755)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("torch==2.13.0\n")
    path = tmp_path / "env"

    def ensure(**extra):
        env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "UV_CALLS": str(calls), "ENV_MANAGER": "uv",
               "ENV_DIR": str(tmp_path / "envs"), **extra}
        before = len(calls.read_text().splitlines()) if calls.exists() else 0
        monkeypatch.setenv("PATH", env["PATH"])  # uv is looked up on PATH and runs in this environment
        monkeypatch.setenv("UV_CALLS", str(calls))
        envs.ensure(requirements, path, env)
        return calls.read_text().splitlines()[before:] if calls.exists() else []

    assert shutil.which("uv", path=f"{bin_dir}") == str(bin_dir / "uv")
    plain = ensure()
    assert len(plain) == 2 and "--torch-backend" not in plain[1]
    assert "torch_backend" not in json.loads((path / envs.STAMP).read_text())  # older stamps stay valid
    assert ensure() == []  # up to date
    chosen = ensure(TORCH_BACKEND="cu128")
    assert len(chosen) == 2 and "--torch-backend cu128 -r" in chosen[1]
    assert json.loads((path / envs.STAMP).read_text())["torch_backend"] == "cu128"
    assert ensure(TORCH_BACKEND="cu128") == []
    assert "--torch-backend cu126" in ensure(TORCH_BACKEND="cu126")[1]


def test_the_llm_memory_check_splits_or_refuses_before_loading(tmp_path, capsys):
    pytest.importorskip("transformers")
    from transformers import GPTJConfig, GPTJForCausalLM

    from language.llm.gpu_memory import GIB, check_fits, model_bytes

    tiny = GPTJForCausalLM(GPTJConfig(n_embd=16, n_layer=1, n_head=2, vocab_size=64, n_positions=32))
    tiny.save_pretrained(tmp_path)
    loaded = sum(t.numel() * t.element_size() for t in [*tiny.parameters(), *tiny.buffers()])
    assert model_bytes(tmp_path, "float32") == loaded
    GPTJConfig(n_embd=4096, n_layer=28, n_head=16, rotary_dim=64, vocab_size=50401).save_pretrained(tmp_path)
    six_b = model_bytes(tmp_path, "bfloat16")
    assert 11.2 * GIB < six_b < 11.4 * GIB  # GPT-J-6B in bf16, from its config alone
    assert check_fits(six_b, [80 * GIB], "bfloat16") == "one" and capsys.readouterr().out == ""
    assert check_fits(six_b, [8 * GIB, 8 * GIB], "bfloat16") == "split"
    said = capsys.readouterr().out
    assert "larger than one GPU: its layers are split over the 2 visible GPU(s)" in said and "ENGINE=vllm" in said
    with pytest.raises(UsageError, match="accelerate would offload layers to the CPU"):
        check_fits(six_b, [6 * GIB, 6 * GIB], "bfloat16")


def test_the_gpu_speed_bench_skips_cleanly_without_a_gpu():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    done = run([sys.executable, str(ROOT / "bench" / "gpt_j_gpu_speed.py")], dict(os.environ))
    assert done.returncode == 0 and "gpt_j_gpu_speed: needs a CUDA GPU; skipped" in done.stdout
    assert not any(line.startswith("{") for line in done.stdout.splitlines())  # no figure
