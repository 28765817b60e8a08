"""``python -m harness accuracy sdxl``: upstream accuracy_coco.py's flags, its printed line and
output file, on stand-in scoring models; nothing is downloaded."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import sdxl_fixture
from conftest import harness_env, run

from harness.codecs import UINT8, Responses
from text_to_image.sdxl import coco, metric


@pytest.fixture(scope="module")
def scoring_fixture(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from text_to_image.sdxl import demo

    torch.set_num_threads(1)  # and OMP_NUM_THREADS=1 for the command: thread counts change conv rounding

    folder = tmp_path_factory.mktemp("sdxl_accuracy")
    manifest = demo.build_scoring(folder)
    rng = np.random.default_rng(11)
    images = [rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8) for _ in range(5)]
    entries = [sdxl_fixture.entry(s, i, images[i]) for s, i in enumerate([4, 1, 0, 2, 3])]
    entries.append(sdxl_fixture.entry(5, 1, images[0]))  # a repeat: ignored
    log = sdxl_fixture.write_log(folder / "log" / "mlperf_log_accuracy.json", entries)
    captions = coco.read_captions(folder / "captions" / "captions_source.tsv")
    score = metric.score_responses(Responses(log, UINT8, size=len(captions)), captions, sdxl_fixture.scorers(folder))
    return {"folder": folder, "manifest": manifest, "log": log, "images": images, "line": score.lines[0],
            "values": score.values}


def test_prints_the_upstream_line_and_writes_the_output_file(scoring_fixture, tmp_path):
    f = scoring_fixture
    done = run([sys.executable, "-m", "harness", "accuracy", "sdxl", "--mlperf-accuracy-file", str(f["log"]),
                "--caption-path", str(f["folder"] / "captions" / "captions_source.tsv"),
                "--statistics-path", str(f["folder"] / "val2014_tiny.npz"), "--output-file", str(tmp_path / "out.json"),
                "--compliance-images-path", str(tmp_path / "images"), "--device", "cpu", "--low_memory"],
               harness_env(tmp_path, OMP_NUM_THREADS=1, MANIFEST=f["manifest"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f["line"] + "\n"
    assert f["line"].startswith("Accuracy Results: {'FID_SCORE': ") and "np.float64" not in f["line"]
    assert json.loads((tmp_path / "out.json").read_text()) == f["values"]
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["2.png", "captions.txt"]  # 5, 11 did not run


def test_takes_every_file_from_the_manifest_by_default(scoring_fixture, tmp_path):
    f = scoring_fixture  # upstream's flags only: the scoring files come from MANIFEST, as for runs
    done = run([sys.executable, "-m", "harness", "accuracy", "stable-diffusion-xl", "--mlperf-accuracy-file",
                str(f["log"]), "--output-file", str(tmp_path / "out.json")],
               harness_env(tmp_path, OMP_NUM_THREADS=1, MANIFEST=f["manifest"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f["line"] + "\n"


def test_missing_scoring_files_are_named_and_nothing_is_opened_offline(scoring_fixture, tmp_path):
    done = run([sys.executable, "-m", "harness", "accuracy", "sdxl", "--mlperf-accuracy-file",
                str(scoring_fixture["log"])], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode == 3, done.stdout + done.stderr
    for text in ("ViT-B-32.pt", "pt_inception-2015-12-05-6726825d.pth", "val2014.npz", "open_clip_torch-2.7.0",
                 "OFFLINE=1"):
        assert text in done.stderr
    assert not any((tmp_path / "data").iterdir())
