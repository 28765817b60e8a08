"""The Makefile and scripts: help by default, strict scripts, `make all` going on past a failure."""

from __future__ import annotations

import re
import shutil

from conftest import FIXTURE_COUNT, ROOT, harness_env, labelled_manifest, run

BROKEN_DECLARATION = '''
from dataclasses import replace

from harness.declaration import Artifact
from vision.resnet50.benchmark import BENCHMARK as RESNET

BENCHMARK = replace(RESNET, id="broken", aliases=(), artifacts=(
    Artifact("model", "models/broken.pt", manual="nobody can fetch {path}"),))
'''


def test_help_is_the_default_goal_and_lists_benchmarks(tmp_path):
    done = run(["make"], harness_env(tmp_path))
    assert done.returncode == 0
    listed = next(line for line in done.stdout.splitlines() if line.startswith("benchmarks:")).split()[1:]
    assert "resnet" in listed and "make all" in done.stdout
    # in folder order (domains, then benchmarks, sorted): found by scanning, no list to keep
    assert listed == ["bert", "gpt-j", "llama2", "mixtral", "dlrm-v2", "rnnt", "stablediffusion",
                      "resnet", "retinanet", "3d-unet"]


def test_every_id_and_alias_is_a_target_running_its_benchmark(tmp_path):
    done = run(["make", "-n", "sdxl", "stable-diffusion-xl", "dlrm-v2-99", "resnet50"], harness_env(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in ("sdxl", "stable-diffusion-xl", "dlrm-v2-99", "resnet50"):
        assert f"bash scripts/build_env.sh {name} && bash scripts/eval.sh {name}" in done.stdout


def test_no_recipe_ignores_errors_and_every_script_is_strict():
    recipes = [line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("\t")]
    assert recipes and not [line for line in recipes if re.match(r"\t[-@]*-", line)]
    for script in (ROOT / "scripts").glob("*.sh"):
        if script.name != "lib.sh":
            assert "set -euo pipefail" in script.read_text(), script
    assert "set -euo pipefail" in (ROOT / ".ci" / "run").read_text()


def test_scripts_do_not_depend_on_the_current_directory(tmp_path):
    done = run(["bash", str(ROOT / "scripts" / "build_resnet_env.sh")], harness_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0 and "using the current interpreter" in done.stdout


def test_make_all_goes_on_past_a_failure_and_exits_non_zero(resnet_fixture, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", ".envs", "logs", "data",
                                                              "__pycache__", "bench"))
    for declaration in tree.glob("*/*/benchmark.py"):  # keep this test about two benchmarks only
        if declaration.parent.name != "resnet50":
            shutil.rmtree(declaration.parent)
    (tree / "vision" / "broken").mkdir()
    (tree / "vision" / "broken" / "__init__.py").write_text("")
    (tree / "vision" / "broken" / "benchmark.py").write_text(BROKEN_DECLARATION)
    shutil.copy(tree / "vision" / "resnet50" / "requirements.txt", tree / "vision" / "broken")
    manifest = labelled_manifest(resnet_fixture, tmp_path / "labels", correct=FIXTURE_COUNT)
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=8, PYTHONPATH=tree)
    done = run(["make", "all"], env, cwd=tree)
    out = done.stdout
    assert done.returncode != 0, out + done.stderr
    assert "=== broken: FAILED (exit 3)" in out and "=== resnet: ok" in out
    assert out.index("=== make broken") < out.index("=== make resnet")  # resnet ran after the failure
    assert "make all: 1 of 2 benchmark(s) failed: broken" in out
    assert "nobody can fetch" in done.stderr
    summary = [line for line in out.splitlines() if line.startswith("resnet ") and "Offline/float32" in line]
    assert summary and "PARTIAL (pass on n=8)" in summary[0]
