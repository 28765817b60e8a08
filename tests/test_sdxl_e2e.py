"""`make stablediffusion` end to end through the real LoadGen wheel, on a tiny SDXL pipeline
built from configs, with CLIP and FID from stand-in models; the images and the scores are
checked against a direct computation (no LoadGen, no harness runner)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sdxl_fixture
from conftest import harness_env, run, sha256

from harness.codecs import UINT8

COUNT = 6  # runs sample ids 5 and 2 of the fixture's 5, 2, 11


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    """The fixture, and its images and scores computed in this process on one thread; the runs
    get OMP_NUM_THREADS=1 too, as thread counts change convolution rounding."""
    pytest.importorskip("diffusers")
    import torch

    from text_to_image.sdxl import coco, demo, generation
    from text_to_image.sdxl.dataset import read_latent

    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("sdxl_fixture")
    demo.build(folder)
    non_demo = json.loads((folder / "manifest.json").read_text())
    non_demo["demo"] = False
    (folder / "labelled.json").write_text(json.dumps(non_demo))
    captions = coco.read_captions(folder / "captions" / "captions_source.tsv")[:COUNT]
    pipe = generation.load_pipeline(folder / "model", torch.float32, torch.device("cpu"))
    latent = read_latent(folder / "latents" / "latents.pt")
    make = generation.Generator(pipe, latent, torch.float32, torch.device("cpu"))
    images = [make([c])[0] for c in captions]
    fid_score, clip = sdxl_fixture.expected_scores(folder, images, captions)
    return {"folder": folder, "images": images, "captions": captions, "fid": fid_score, "clip": clip}


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "stablediffusion" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def check_run(fixture, run_dir: Path, stdout: str) -> dict:
    from text_to_image.sdxl import metric

    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(COUNT))
    for e in entries:  # the logged bytes are the images generated directly
        assert np.array_equal(metric.as_image(UINT8.decode(bytes.fromhex(e["data"]))), fixture["images"][e["qsl_idx"]])
    result = json.loads((run_dir / "result.json").read_text())
    values = result["metrics"]
    assert values["FID_SCORE"] == pytest.approx(fixture["fid"], rel=1e-4)
    assert values["CLIP_SCORE"] == pytest.approx(fixture["clip"], rel=1e-5)
    line = metric.accuracy_line(values["FID_SCORE"], values["CLIP_SCORE"])
    assert line in stdout
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [
        line, f"hash={sha256(run_dir / 'mlperf_log_accuracy.json')}"]
    bounds = {t["metric"]: (t["threshold"], t["upper_limit"]) for t in result["targets"]}
    assert bounds == {"CLIP_SCORE": (31.68631873, 31.81331801), "FID_SCORE": (23.01085758, 23.95007626)}
    assert "31.81331801" in stdout and "23.95007626" in stdout  # the table shows both bounds
    assert result["samples"]["asked"] == result["samples"]["scored"] == COUNT
    assert sorted(p.name for p in (run_dir / "images").iterdir()) == ["2.png", "5.png", "captions.txt"]
    assert (run_dir / "images" / "captions.txt").read_text() == (
        f"5  {fixture['captions'][5]}\n2  {fixture['captions'][2]}\n")
    assert any("not comparable with the target" in n for n in result["notes"])
    return result


def test_make_offline_scores_the_generated_images_and_fails(fixture, tmp_path):
    env = harness_env(tmp_path, MANIFEST=fixture["folder"] / "labelled.json", N_COUNT=COUNT, DEVICE="cpu",
                      DATA_TYPE="fp16", OMP_NUM_THREADS=1)
    done = run(["make", "stablediffusion"], env)
    assert done.returncode != 0 and "== stablediffusion: PARTIAL" in done.stdout, done.stdout + done.stderr
    run_dir = sorted((tmp_path / "logs" / "stablediffusion" / "Offline" / "float16").iterdir())[0]
    result = check_run(fixture, run_dir, done.stdout)
    assert result["verdict_on_slice"] == "FAIL" and result["status"] == "completed"
    assert result["loadgen"]["summary"]["effective_scenario"] == "Offline"
    assert any("float32, not float16" in n for n in result["notes"])  # the CPU forces float32, as the seed


def test_single_stream_demo_runs_and_says_it_is_no_claim(fixture, tmp_path):
    env = harness_env(tmp_path, MANIFEST=fixture["folder"] / "manifest.json", N_COUNT=COUNT, DEVICE="cpu",
                      SCENARIO="SingleStream", OMP_NUM_THREADS=1)
    done = run(["bash", "scripts/eval_stablediffusion.sh"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    result = check_run(fixture, only_run_dir(tmp_path / "logs", "SingleStream"), done.stdout)
    assert result["demo"] is True and "no accuracy claim" in done.stdout
    assert result["loadgen"]["summary"]["effective_scenario"] == "SingleStream"


def test_missing_model_says_how_to_get_it(tmp_path):
    done = run(["make", "stablediffusion"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0
    assert "rclone copy mlc-inference:mlcommons-inference-wg-public/stable_diffusion_fp32" in done.stderr
    assert "captions_source.tsv" in done.stderr and "ViT-B-32.pt" in done.stderr
    assert not (tmp_path / "logs").exists()
