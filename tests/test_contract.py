"""The benchmark contract, exercised the way harness/README.md tells people to add a benchmark:
a new domain folder with one benchmark in it, found by scanning, run end to end through make.

The toy benchmark "echo" answers each sample's number; its scorer counts the answers equal to
the expected ones. Its dataset records which indices the core handed it.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import ROOT, harness_env, run

ECHO_FILES = {
    "__init__.py": "",
    "benchmark.py": '''
from harness.declaration import Artifact, Benchmark, Target

BENCHMARK = Benchmark(
    id="echo", aliases=(), loadgen_model="resnet50", domain="toys",
    dataset="toys.echo.echo:Numbers", backend="toys.echo.echo:Echo", codec="harness.codecs:INT64",
    metric="toys.echo.echo:score", targets={"echo": (Target("acc", 100.0, 0.99),)}, primary="echo",
    total_count=6, performance_count=6, default_batch_size=4,
    artifacts=(Artifact("numbers", "toys/numbers.txt", manual="write {path}"),),
)
''',
    "echo.py": '''
import numpy as np

from harness.contract import Backend, Dataset
from harness.score import Score


class Numbers(Dataset):
    def __init__(self, run):
        super().__init__(run)
        self.numbers = [int(n) for n in run.artifact_path("numbers").read_text().split()]

    @property
    def size(self):
        return len(self.numbers)

    def prepare(self):
        (self.run.run_dir / "prepared.txt").write_text(" ".join(map(str, self.run.indices)))

    def load(self, indices):
        pass

    def unload(self, indices):
        pass


class Echo(Backend):
    def predict(self, indices):
        return np.array([[self.dataset.numbers[i]] for i in indices], dtype=np.int64)


def score(responses, dataset, run):
    good = sum(int(values[0]) == dataset.numbers[i] for i, values in responses)
    total = len(responses.indices)
    return Score(values={"acc": 100.0 * good / total}, lines=[f"good={good}, total={total}"], scored=total,
                 duplicates=responses.duplicates)
''',
}


@pytest.fixture
def tree(tmp_path):
    """A copy of the project with one new domain folder, ``toys/echo/``, and nothing else changed."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", ".envs", "logs", "data",
                                                              "__pycache__", "bench", "tests"))
    (tree / "toys" / "echo").mkdir(parents=True)
    (tree / "toys" / "__init__.py").write_text("")
    for name, text in ECHO_FILES.items():
        (tree / "toys" / "echo" / name).write_text(text.lstrip())
    (tree / "toys" / "echo" / "requirements.txt").write_text("mlcommons-loadgen==4.1.30\n")
    data = tmp_path / "data" / "toys"
    data.mkdir(parents=True)
    (data / "numbers.txt").write_text("3 1 4 1 5 9\n")
    return tree


def test_a_new_domain_folder_is_a_make_target_run_end_to_end(tree, tmp_path):
    env = harness_env(tmp_path, PYTHONPATH=tree)
    done = run(["make", "echo"], env, cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== echo: PASS" in done.stdout
    (result_file,) = (tmp_path / "logs" / "echo" / "Offline" / "float32").glob("*/result.json")
    result = json.loads(result_file.read_text())
    assert result["name"] == "echo" and result["verdict"] == "PASS" and result["metrics"] == {"acc": 100.0}
    assert result["samples"] == {"asked": 6, "dataset_total": 6, "issued": 6, "partial": False,
                                 "scored": 6, "duplicates": 0}
    assert (result_file.parent / "prepared.txt").read_text() == "0 1 2 3 4 5"
    assert (result_file.parent / "accuracy.txt").read_text().startswith("good=6, total=6\n")


def test_the_core_hands_a_shard_its_indices_and_the_scorer_sees_dataset_indices(tree, tmp_path):
    env = harness_env(tmp_path, PYTHONPATH=tree, SHARDS=3, SHARD=2)
    done = run(["bash", "scripts/eval.sh", "echo"], env, cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    (result_file,) = (tmp_path / "logs" / "echo" / "Offline" / "float32").glob("*/result.json")
    assert (result_file.parent / "prepared.txt").read_text() == "4 5"
    result = json.loads(result_file.read_text())
    assert result["shard"] == {"index": 2, "count": 3, "start": 4, "stop": 6}
    assert result["metrics"] == {"acc": 100.0} and result["samples"]["scored"] == 2


def test_n_count_past_the_data_is_the_cores_one_error(tree, tmp_path):
    (tmp_path / "data" / "toys" / "numbers.txt").write_text("3 1 4\n")
    env = harness_env(tmp_path, PYTHONPATH=tree, N_COUNT=5)
    done = run(["bash", "scripts/eval.sh", "echo"], env, cwd=tree)
    assert done.returncode == 3
    assert "N_COUNT=5 but the echo dataset files hold only 3 samples; use N_COUNT=3 or less" in done.stderr


@pytest.mark.parametrize("backend,why", [("os:system", "is not a backend class"),
                                         ("toys.nope:Cls", "cannot be imported")])
def test_a_backend_that_breaks_the_contract_stops_before_a_run_directory(tree, tmp_path, backend, why):
    env = harness_env(tmp_path, PYTHONPATH=tree, BACKEND=backend)
    done = run(["bash", "scripts/eval.sh", "echo"], env, cwd=tree)
    assert done.returncode == 2 and f"BACKEND={backend!r} {why}" in done.stderr
    assert not (tmp_path / "logs" / "echo").exists()
