"""Verified logs and data through real DVC against a real S3-compatible server (moto) and a local
directory remote, both on this machine; each test works in a copy of the repository."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, harness_env, labelled_manifest, run, sha256

pytestmark = pytest.mark.slow
boto3 = pytest.importorskip("boto3")
MOTO = Path(sys.executable).parent / "moto_server"
DVC = Path(sys.executable).parent / "dvc"
UNAUTHENTICATED = 4  # create user, access key, policy, bucket; every later request must be signed


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server with authentication on, one IAM user allowed everything, one bucket."""
    if not MOTO.exists() or not DVC.exists():
        pytest.skip("moto_server or dvc is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
                              env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(UNAUTHENTICATED)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        anonymous = dict(endpoint_url=url, aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        iam = boto3.client("iam", **anonymous)
        iam.create_user(UserName="ci")
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        iam.put_user_policy(UserName="ci", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        boto3.client("s3", **anonymous).create_bucket(Bucket="mlperf-data")
        yield {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1"}
    finally:
        server.terminate()
        server.wait(10)


def repo_copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".envs", "logs", "data", "__pycache__", "cache", "tmp", "config.local"))
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    return tree


def remote(tree: Path, url: str) -> None:
    subprocess.run([str(DVC), "remote", "add", "--local", "mlperf-data", url], cwd=tree, check=True)


def fake_run(tree: Path, name: str, verdict: str, seed: int, **result) -> Path:
    """A complete, publishable ResNet run directory in the tree's LOG_DIR (``result`` overrides keys)."""
    where = tree / "logs" / "resnet" / "Offline" / "float32" / name
    where.mkdir(parents=True)
    (where / "mlperf_log_accuracy.json").write_bytes(os.urandom(4096 + seed))
    log_hash = sha256(where / "mlperf_log_accuracy.json")
    (where / "accuracy.txt").write_text(f"accuracy=76.14{seed}%, good=38072, total=50000\nhash={log_hash}\n")
    for name in ("mlperf_log_summary.txt", "mlperf_log_detail.txt", "console.log"):
        (where / name).write_text(f"{name} {seed}\n")
    (where / "result.json").write_text(json.dumps({
        "benchmark": "resnet50", "name": "resnet", "verdict": verdict, "status": "completed", "demo": False,
        "config": {"mode": "accuracy", "n_count": 50000},
        "samples": {"partial": False, "asked": 50000, "scored": 50000}, **result}))
    return where


def env_for(tmp_path: Path, tree: Path, **extra) -> dict:
    (tree / "data").mkdir(exist_ok=True)
    env = harness_env(tmp_path, PYTHONPATH=tree, DATA_DIR=tree / "data", LOG_DIR=tree / "logs", **extra)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(key, None) if key not in extra else None
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"))
    return env


def wipe(tree: Path, *paths: str) -> None:
    """Delete the local copies and DVC's cache, so only the remote can bring them back."""
    for rel in (*paths, ".dvc/cache"):
        target = tree / rel
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


def test_publish_then_restore_from_s3_byte_identical(s3, tmp_path):
    tree = repo_copy(tmp_path)
    remote(tree, "s3://mlperf-data/store")
    env = env_for(tmp_path, tree, **s3)
    good = fake_run(tree, "good", "PASS", 1)

    done = run(["make", "publish_log_resnet", f"RUN={good}"], env, cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    staged = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=tree, capture_output=True, text=True)
    assert "logs/internal/resnet.dvc" in staged.stdout.split()

    wipe(tree, "logs/internal/resnet")
    done = run(["make", "log_resnet"], env, cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    restored = tree / "logs" / "internal" / "resnet"
    assert sorted(p.name for p in restored.iterdir()) == sorted(p.name for p in good.iterdir())
    assert all(filecmp.cmp(good / p.name, restored / p.name, shallow=False) for p in good.iterdir())

    failing = fake_run(tree, "failing", "FAIL", 2)
    done = run(["make", "publish_log_resnet", f"RUN={failing}"], env, cwd=tree)
    assert done.returncode != 0 and "did not pass its verdict (FAIL)" in done.stderr
    other = fake_run(tree, "other", "PASS", 3)
    done = run(["make", "publish_log_resnet", f"RUN={other}"], env, cwd=tree)
    assert done.returncode != 0 and "already holds a different verified log; FORCE=1" in done.stderr
    assert filecmp.cmp(good / "accuracy.txt", restored / "accuracy.txt", shallow=False)  # untouched
    done = run(["make", "publish_log_resnet", f"RUN={other}", "FORCE=1"], env, cwd=tree)
    assert done.returncode == 0, done.stderr
    assert filecmp.cmp(other / "accuracy.txt", restored / "accuracy.txt", shallow=False)


def test_a_local_directory_remote_works_the_same(tmp_path):
    tree = repo_copy(tmp_path)
    remote(tree, str(tmp_path / "nfs" / "mlperf-data"))
    env = env_for(tmp_path, tree)
    good = fake_run(tree, "good", "PASS", 4)
    assert run(["make", "publish_log_resnet", f"RUN={good}"], env, cwd=tree).returncode == 0
    wipe(tree, "logs/internal/resnet")
    done = run(["make", "log_all"], env, cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert filecmp.cmp(good / "mlperf_log_accuracy.json", tree / "logs/internal/resnet/mlperf_log_accuracy.json",
                       shallow=False)


def test_wrong_credentials_missing_remote_and_missing_pointer_are_clear(s3, tmp_path):
    tree = repo_copy(tmp_path)
    env = env_for(tmp_path, tree, **s3)
    done = run(["make", "log_resnet"], env, cwd=tree)
    assert done.returncode != 0 and "no verified log is published for resnet" in done.stderr
    assert "make publish_log_resnet RUN=" in done.stderr

    good = fake_run(tree, "good", "PASS", 5)
    done = run(["make", "publish_log_resnet", f"RUN={good}"], env, cwd=tree)
    assert done.returncode != 0 and "remote 'mlperf-data' has no URL on this machine" in done.stderr
    assert "dvc remote add --local mlperf-data" in done.stderr

    remote(tree, "s3://mlperf-data/creds")
    assert run(["make", "publish_log_resnet", f"RUN={good}"], env, cwd=tree).returncode == 0
    wipe(tree, "logs/internal/resnet")
    wrong = env_for(tmp_path, tree, **dict(s3, AWS_SECRET_ACCESS_KEY="wrong-secret"))
    done = run(["make", "log_resnet"], wrong, cwd=tree)
    assert done.returncode != 0 and "refused the credentials" in done.stderr and "dvc said:" in done.stderr
    assert "wrong-secret" not in done.stdout + done.stderr


def test_data_source_dvc_restores_verified_artifacts_for_a_run(resnet_fixture, tmp_path):
    tree = repo_copy(tmp_path)
    remote(tree, str(tmp_path / "nfs" / "data"))
    manifest = json.loads(labelled_manifest(resnet_fixture, tmp_path / "labels", correct=24).read_text())
    data = tree / "data"
    (data / "models").mkdir(parents=True)
    shutil.copy(manifest["artifacts"]["weights"]["path"], data / "models" / "toy.pt")
    shutil.copy(manifest["artifacts"]["val_map"]["path"], data / "val_map.txt")
    shutil.copytree(manifest["artifacts"]["images"]["path"], data / "val")
    (tree / "vision" / "toy").mkdir()
    (tree / "vision" / "toy" / "__init__.py").write_text("")
    shutil.copy(tree / "vision" / "resnet50" / "requirements.txt", tree / "vision" / "toy")
    (tree / "vision" / "toy" / "benchmark.py").write_text(f'''
from dataclasses import replace
from harness.declaration import Artifact
from vision.resnet50.benchmark import BENCHMARK as RESNET
BENCHMARK = replace(RESNET, id="toy", aliases=(), artifacts=(
    Artifact("weights", "models/toy.pt", sha256="{sha256(data / 'models' / 'toy.pt')}"),
    Artifact("val_map", "val_map.txt", sha256="{sha256(data / 'val_map.txt')}"),
    Artifact("images", "val.tar", manual="only by hand: {{path}}", unpack="val")))
''')
    env = env_for(tmp_path, tree, N_COUNT=12)
    done = run(["make", "data_push_toy"], env, cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    for pointer in ("data/models/toy.pt.dvc", "data/val_map.txt.dvc", "data/val.dvc"):
        assert (tree / pointer).is_file(), pointer

    wipe(tree, "data/models/toy.pt", "data/val_map.txt", "data/val")
    offline = run(["make", "toy"], env_for(tmp_path, tree, N_COUNT=12, OFFLINE=1), cwd=tree)
    assert offline.returncode != 0 and "Error 3" in offline.stderr  # missing artifact, nothing fetched
    done = run(["make", "toy"], env_for(tmp_path, tree, N_COUNT=12, DATA_SOURCE="dvc"), cwd=tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accuracy=100.000%, good=12, total=12" in done.stdout
    assert sha256(data / "models" / "toy.pt") == sha256(manifest["artifacts"]["weights"]["path"])


@pytest.mark.parametrize("change,why", [
    (lambda run: run.joinpath("result.json").write_text(
        run.joinpath("result.json").read_text().replace('"demo": false', '"demo": true')), "it is a demo"),
    (lambda run: _edit(run, samples={"partial": True, "asked": 8, "scored": 8}, config={"mode": "accuracy",
                                                                                         "n_count": 8}),
     "it scored 8 of the 50000 samples"),
    (lambda run: _edit(run, shard={"index": 0, "count": 2}), "it is one shard of a sharded run"),
    (lambda run: _edit(run, config={"mode": "performance", "n_count": 50000}), "not an accuracy run"),
    (lambda run: run.joinpath("mlperf_log_detail.txt").unlink(), "lacks mlperf_log_detail.txt"),
    (lambda run: run.joinpath("mlperf_log_accuracy.json").write_bytes(b"[]"), "the log is not the one"),
    (lambda run: run.joinpath("result.json").write_text('{"benchmark": "resn'), "is it truncated?"),
])
def test_publish_refuses_what_is_not_a_verified_log_even_with_force(tmp_path, change, why):
    from harness import registry
    from harness.dvc import DvcError, check_publishable

    tree = tmp_path / "tree"
    good = fake_run(tree, "good", "PASS", 6)
    bench = registry.get("resnet")
    assert check_publishable(bench, good, tree / "logs", force=False)["verdict"] == "PASS"
    change(good)
    with pytest.raises(DvcError, match=why):
        check_publishable(bench, good, tree / "logs", force=True)


def _edit(run_dir: Path, **changes) -> None:
    result = json.loads((run_dir / "result.json").read_text())
    result.update(changes)
    (run_dir / "result.json").write_text(json.dumps(result))


def test_publish_needs_a_run_directory_inside_log_dir(tmp_path):
    from harness import registry
    from harness.dvc import DvcError, check_publishable

    tree = tmp_path / "tree"
    good = fake_run(tree, "good", "PASS", 7)
    bench = registry.get("resnet")
    for wrong in (tree / "logs", tree / "logs" / "resnet", tmp_path):
        with pytest.raises(DvcError, match="is not a run directory inside LOG_DIR"):
            check_publishable(bench, wrong, tree / "logs", force=True)
    outside = tmp_path / "elsewhere" / "a" / "b" / "c"
    shutil.copytree(good, outside)
    with pytest.raises(DvcError, match="is not a run directory inside LOG_DIR"):
        check_publishable(bench, outside, tree / "logs", force=True)


def test_a_failed_push_leaves_nothing_staged_and_the_old_log_in_place(tmp_path):
    tree = repo_copy(tmp_path)
    store = tmp_path / "nfs" / "mlperf-data"
    remote(tree, str(store))
    env = env_for(tmp_path, tree)
    good = fake_run(tree, "good", "PASS", 8)
    assert run(["make", "publish_log_resnet", f"RUN={good}"], env, cwd=tree).returncode == 0
    subprocess.run(["git", "commit", "-qm", "published", "--no-gpg-sign"], cwd=tree, check=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                            GIT_COMMITTER_EMAIL="t@t"))
    pointer = (tree / "logs" / "internal" / "resnet.dvc").read_bytes()
    shutil.rmtree(store)
    store.write_text("not a directory: every push fails")
    other = fake_run(tree, "other", "PASS", 9)
    done = run(["make", "publish_log_resnet", f"RUN={other}", "FORCE=1"], env, cwd=tree)
    assert done.returncode != 0 and "pushing logs/internal/resnet" in done.stderr
    staged = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=tree, capture_output=True, text=True)
    assert staged.stdout.strip() == ""
    assert (tree / "logs" / "internal" / "resnet.dvc").read_bytes() == pointer
    assert filecmp.cmp(good / "accuracy.txt", tree / "logs/internal/resnet/accuracy.txt", shallow=False)
