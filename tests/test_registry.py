"""The registry finds declarations by scanning and never imports heavy code to list them."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

from harness import registry
from harness.declaration import load_object


def test_resnet_is_found_with_its_names():
    bench = registry.get("resnet50")
    assert registry.get("resnet") is bench and registry.get("resnet50-v1.5") is bench
    assert bench.make_name == "resnet" and bench.verified_log_name == "resnet"
    assert "resnet" in registry.make_names()
    assert bench.targets["resnet"][0].threshold == 76.46 * 0.99


def test_every_declared_reference_resolves():
    for bench in registry.all_benchmarks():
        for ref in (bench.dataset, bench.backend, bench.codec, bench.metric, bench.accuracy_command, bench.demo):
            if ref:
                assert load_object(ref) is not None, ref
        assert (ROOT / bench.requirements).is_file()


def test_listing_benchmarks_imports_no_heavy_module():
    code = ("import sys, json; from harness import registry, cli; registry.all_benchmarks(); "
            "cli.main(['names']); print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('torch', 'numpy', 'cv2', 'PIL', 'transformers', 'mlperf_loadgen'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_list_command_shows_artifacts_and_their_presence(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "harness", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    assert "resnet50" in done.stdout and "weights missing" in done.stdout
    assert "dlrm-v2: WORLD_SIZE (default 1): processes holding the embedding tables" in done.stdout
    (tmp_path / "imagenet" / "val").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "harness", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    assert "images present" in done.stdout
