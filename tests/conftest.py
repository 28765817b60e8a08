"""Shared fixtures: a generated ResNet fixture with known right answers, and a make runner."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_COUNT = 24


def harness_env(tmp_path: Path, **extra) -> dict:
    """An environment for running the harness in a subprocess: current interpreter, private dirs
    (the data folder exists: a DATA_DIR that is given must)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SCENARIO", "N_COUNT", "DATA_TYPE", "DEVICE", "MODE", "BACKEND", "BATCH_SIZE",
                        "DATA_DIR", "LOG_DIR", "OFFLINE", "MANIFEST", "WORKERS", "MAKEFLAGS", "MAKELEVEL")}
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    env.update(ENV_MANAGER="none", PYTHON=sys.executable, DATA_DIR=str(tmp_path / "data"),
               LOG_DIR=str(tmp_path / "logs"), PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd: list[str], env: dict, cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def resnet_fixture(tmp_path_factory):
    """Generated images + small random ResNet, and the class the model predicts for each image,
    computed directly (preprocess + forward, no LoadGen, no harness runner)."""
    torch = pytest.importorskip("torch")
    import numpy as np

    from vision.resnet50 import demo, model, preprocess

    folder = tmp_path_factory.mktemp("resnet_fixture")
    demo.build(folder, count=FIXTURE_COUNT, seed=3)
    names = [line.split()[0] for line in (folder / "val_map.txt").read_text().splitlines()]
    net = model.load(str(folder / "resnet_tiny.pt"))
    batch = torch.from_numpy(np.stack([preprocess.preprocess(str(folder / "val" / n)) for n in names]))
    with torch.no_grad():
        predicted = net(batch).argmax(1).tolist()
    return {"folder": folder, "names": names, "predicted": predicted}


def labelled_manifest(fixture: dict, where: Path, correct: int) -> Path:
    """A manifest over the fixture whose labels match the model on the first ``correct`` images."""
    where.mkdir(parents=True, exist_ok=True)
    labels = [p if i < correct else (p + 1) % 1000 for i, p in enumerate(fixture["predicted"])]
    val_map = where / "val_map.txt"
    val_map.write_text("".join(f"{n} {lab}\n" for n, lab in zip(fixture["names"], labels)))
    weights = fixture["folder"] / "resnet_tiny.pt"
    manifest = {"artifacts": {
        "weights": {"path": str(weights), "sha256": sha256(weights)},
        "val_map": {"path": str(val_map), "sha256": sha256(val_map)},
        "images": {"path": str(fixture["folder"] / "val")},
    }}
    path = where / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def detail_values(run_dir: Path) -> dict:
    """A LoadGen detail log read independently of the harness: every MLLOG record's first value by key."""
    values = {}
    for line in (Path(run_dir) / "mlperf_log_detail.txt").read_text().splitlines():
        if line.startswith(":::MLLOG "):
            record = json.loads(line[len(":::MLLOG "):])
            values.setdefault(record["key"], record["value"])
    return values
