"""`python -m harness diff RUN_A RUN_B`: per benchmark, a demo run with the reference backend and one
with a backend that changes known samples in known ways (tests/perturbed_backends.py); the diff must
report exactly those differences: the samples, the positions, the numbers.

Every run is a real demo through LoadGen (a few samples each); the comparisons run in this process
through ``harness.diff.compare``, and the command line is checked against it."""

from __future__ import annotations

import doctest
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, harness_env, run

from harness.codecs import UINT8, Responses
from harness.diff import Pairs, compare, exact_outputs
from harness import registry
from harness.declaration import load_object
from harness.errors import UsageError
from vision.unet3d.cases import INFERENCE_CASES

COUNT = 3
ENV_SETTINGS = ("DATA_DIR", "MANIFEST", "OFFLINE", "DATA_SOURCE", "WORKERS", "LOG_DIR")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``runs(name, backend, **settings)``: the run directory of that demo run, made once per module."""
    workspace, made = tmp_path_factory.mktemp("diff"), {}

    def get(name: str, backend: str = "reference", **settings) -> Path:
        key = (name, backend, tuple(sorted(settings.items())))
        if key not in made:
            env = harness_env(workspace, WORKERS=1, THREADS=1, OMP_NUM_THREADS=1, RESUME=0,
                              BACKEND=backend, PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}", **settings)
            where = workspace / f"run-{len(made)}.txt"
            done = run([sys.executable, "-m", "harness", "demo", name, "--run-dir-file", str(where)], env)
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            made[key] = Path(where.read_text().strip())
        return made[key]

    return get


@pytest.fixture(autouse=True)
def run_settings_only(monkeypatch):
    """Artifacts resolve from each run's own record, whatever this shell exports."""
    for name in ENV_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def perturbed(runs, name: str, backend: str, count: int = COUNT) -> tuple[Path, Path, dict]:
    a, b = runs(name, N_COUNT=count), runs(name, f"perturbed_backends:{backend}", N_COUNT=count)
    report = compare(a, b)
    assert report["samples"] == {"a": count, "b": count, "paired": count, "only_in_a": [], "only_in_b": []}
    return a, b, report


def metric_difference(report: dict, name: str) -> float:
    (row,) = [m for m in report["metrics"] if m["metric"] == name]
    assert row["difference"] == pytest.approx(row["b"] - row["a"])
    return row["difference"]


def test_resnet_reports_exactly_the_flipped_classes(runs):
    a, b, report = perturbed(runs, "resnet", "FlipClasses", count=4)
    assert report["benchmark"] == "resnet50" and report["name"] == "resnet"
    assert report["figures"] == {"samples": 4, "top1_agreement": 2, "top1_agreement_rate": 0.5, "disagreements": 2}
    assert [row["index"] for row in report["rows"]] == [1, 3]
    assert all(row["class_b"] == (row["class_a"] + 1) % 1000 for row in report["rows"])
    metrics = {m["metric"]: m for m in report["metrics"]}
    assert metrics["acc"]["a"] == json.loads((a / "result.json").read_text())["metrics"]["acc"]
    assert report["runs"]["b"]["backend"] == "perturbed_backends:FlipClasses"


def test_a_shard_run_is_paired_by_dataset_index(runs):
    # Shard 1 of 2 over 4 samples holds dataset samples 2 and 3, logged by LoadGen as 0 and 1.
    a = runs("resnet", N_COUNT=4)
    shard = runs("resnet", "perturbed_backends:FlipClasses", N_COUNT=4, SHARDS=2, SHARD=1)
    assert [e["qsl_idx"] for e in json.loads((shard / "mlperf_log_accuracy.json").read_text())] in ([0, 1], [1, 0])
    report = compare(a, shard)
    assert report["samples"] == {"a": 4, "b": 2, "paired": 2, "only_in_a": [0, 1], "only_in_b": []}
    assert report["figures"]["top1_agreement"] == 1 and [r["index"] for r in report["rows"]] == [3]
    assert report["runs"]["b"]["shard"]["start"] == 2


def test_retinanet_reports_the_shifted_box_and_the_lowered_score(runs):
    _, _, report = perturbed(runs, "retinanet", "ShiftBox")
    figures, rows = report["figures"], report["rows"]
    assert figures["images"] == 3 and figures["identical_images"] == 1
    assert figures["boxes_a"] == figures["boxes_b"] == figures["matched"] > 2
    assert figures["unmatched_a"] == figures["unmatched_b"] == 0
    assert [r["index"] for r in rows] == [1, 2]  # the lower IoU first
    shifted, rescored = rows
    assert shifted["min_iou"] == pytest.approx(0.6, abs=1e-5)  # a quarter width to the right: 0.75 / 1.25
    assert shifted["mean_iou"] == pytest.approx((0.6 + shifted["matched"] - 1) / shifted["matched"], abs=1e-5)
    assert shifted["max_abs_score_difference"] == 0
    assert rescored["min_iou"] == 1 and rescored["max_abs_score_difference"] == pytest.approx(0.125, abs=1e-6)
    assert figures["matched_iou"]["min"] == pytest.approx(0.6, abs=1e-5)
    assert figures["score_difference"]["max_abs"] == pytest.approx(0.125, abs=1e-6)
    assert figures["score_difference"]["mean_abs"] == pytest.approx(0.125 / figures["matched"], abs=1e-6)


def test_unet3d_reports_dice_of_the_cleared_voxels(runs):
    a, _, report = perturbed(runs, "3d-unet", "ClearVoxels")
    assert [r["index"] for r in report["rows"]] == [1, 0, 2]  # least alike first, then by index
    changed, *same = report["rows"]
    mask = dict(Responses(a / "mlperf_log_accuracy.json", UINT8))[1]
    head = mask[:1000]
    assert changed["voxels_differ"] == np.count_nonzero(head) > 0
    for key, label in (("kidney_dice", 1), ("tumor_dice", 2)):
        total, cleared = np.count_nonzero(mask == label), np.count_nonzero(head == label)
        expected = (2 * (total - cleared) + 1e-6) / (2 * total - cleared + 1e-6)
        assert changed[key] == pytest.approx(expected, rel=1e-12)
    assert all(r["mean_dice"] == 1.0 and r["voxels_differ"] == 0 for r in same)
    assert report["figures"]["identical_cases"] == 2 and report["figures"]["min_dice"] == changed["mean_dice"]
    assert [r["case"] for r in report["rows"]] == [INFERENCE_CASES[i] for i in (1, 0, 2)]


@pytest.mark.parametrize("name", ["gpt-j", "llama2", "mixtral"])
def test_llm_reports_the_altered_token_its_position_and_texts(runs, name):
    _, _, report = perturbed(runs, name, "AlterToken")
    figures = report["figures"]
    sample = 0 if name == "mixtral" else 2
    assert figures["samples"] == 3 and figures["exact_match"] == 2 and figures["exact_match_rate"] == 2 / 3
    assert figures["first_divergence"] == {"min": 5, "median": 5.0, "max": 5}
    histogram = figures["first_divergence_histogram"]
    assert histogram["4-7"] == 1 and sum(histogram.values()) == 1
    assert figures["tokens_a"] == figures["tokens_b"] > 0
    (row,) = report["rows"]
    assert row["index"] == sample and row["first_divergence"] == 5 and row["tokens_a"] == row["tokens_b"]
    assert row["text_a"] != row["text_b"]
    # identical samples add 0: the mean ROUGE difference is what the two runs' ROUGE metrics differ by
    for metric, key in (("ROUGE1", "rouge1"), ("ROUGE2", "rouge2"), ("ROUGEL", "rougeL")):
        assert figures["rouge_difference"][key] == pytest.approx(metric_difference(report, metric), abs=2e-4)
    if "rouge1_difference" in row:
        assert figures["rouge_difference"]["rouge1"] * figures["rouge_samples"] == pytest.approx(
            row["rouge1_difference"])
    assert not report["notes"]


def test_rnnt_reports_wer_of_the_appended_words(runs):
    _, _, report = perturbed(runs, "rnnt", "AppendWords")
    (row,) = report["rows"]
    assert row["index"] == 1 and row["text_b"] == row["text_a"] + " x y"
    assert row["word_errors"] == 2 and row["wer"] == 2 / len(row["text_a"].split())
    figures = report["figures"]
    assert figures["utterances"] == 3 and figures["identical_transcripts"] == 2 and figures["word_errors"] == 2
    assert figures["wer"] == 2 / figures["words_a"]


def test_dlrm_reports_the_raised_score(runs):
    _, _, report = perturbed(runs, "dlrm-v2", "RaiseScore")
    (row,) = report["rows"]
    assert row["index"] == 2 and row["label_mismatches"] == 0
    assert row["max_abs_difference"] == pytest.approx(0.5, abs=1e-6)
    assert row["mean_abs_difference"] == pytest.approx(0.5 / row["pairs"], abs=1e-6)
    figures = report["figures"]
    assert figures["samples"] == 3 and figures["identical_samples"] == 2 and figures["label_mismatches"] == 0
    assert figures["max_abs_difference"] == pytest.approx(0.5, abs=1e-6)
    assert figures["mean_abs_difference"] == pytest.approx(0.5 / figures["predictions"], abs=1e-6)


def test_sdxl_reports_the_changed_pixels_and_their_clip_score(runs):
    _, _, report = perturbed(runs, "sdxl", "ChangePixels")
    (row,) = report["rows"]
    assert row["index"] == 1 and row["values_differ"] == 48 and row["max_abs_pixel_difference"] == 10
    values = 3 * 32 * 32  # the demo's images are 32 x 32 RGB
    assert row["mean_abs_pixel_difference"] == pytest.approx(480 / values)
    assert row["clip_difference"] == pytest.approx(row["clip_b"] - row["clip_a"])
    figures = report["figures"]
    assert figures["images"] == 3 and figures["identical_images"] == 2
    assert figures["mean_abs_pixel_difference"] == pytest.approx(480 / (3 * values))
    # the runs' CLIP_SCORE is the mean over the images: it moved by this image's change / 3 (to float32
    # precision: the runs scored with one torch thread, this process with several)
    assert figures["clip_difference"] == pytest.approx(metric_difference(report, "CLIP_SCORE"), abs=1e-5)
    assert figures["clip_difference"] == pytest.approx(row["clip_difference"] / 3)


def test_bert_reports_the_shifted_logits(runs):
    _, _, report = perturbed(runs, "bert", "ShiftLogits")
    (row,) = report["rows"]
    assert row["index"] == 1 and row["max_abs_logit_difference"] == pytest.approx(2.5, abs=1e-5)
    assert row["best_start_a"] == row["best_start_b"] and row["best_end_a"] == row["best_end_b"]
    assert report["figures"] == {"samples": 3, "identical_logits": 2, "same_best_start": 3, "same_best_end": 3,
                                 "max_abs_logit_difference": row["max_abs_logit_difference"]}


def test_the_command_prints_the_comparison_and_its_json(runs, tmp_path):
    a, b = runs("resnet", N_COUNT=4), runs("resnet", "perturbed_backends:FlipClasses", N_COUNT=4)
    env = harness_env(tmp_path)
    text = run([sys.executable, "-m", "harness", "diff", str(a), str(b)], env)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "resnet: run B against run A (differences are B - A)"
    assert "samples: 4 in A, 4 in B, 4 paired" in lines
    assert any(line.split() == ["top1_agreement", "2"] for line in lines)
    start = lines.index("samples whose top-1 class differs, by index (2 of 2):")
    assert lines[start + 1].split() == ["index", "class_a", "class_b"]
    assert [line.split()[0] for line in lines[start + 3:start + 5]] == ["1", "3"]
    as_json = run([sys.executable, "-m", "harness", "diff", str(a), str(b), "--json"], env)
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == compare(a, b)


def test_bad_inputs_stop_with_exit_2_and_say_why(runs, tmp_path):
    a, other = runs("resnet", N_COUNT=4), runs("rnnt", N_COUNT=COUNT)
    env = harness_env(tmp_path)

    def diff(*paths):
        done = run([sys.executable, "-m", "harness", "diff", *map(str, paths)], env)
        assert done.returncode == 2 and not done.stdout, done.stderr
        return done.stderr

    assert f"{a} is a resnet50 run and {other} a rnnt run" in diff(a, other)
    assert "is not a run directory: no such folder" in diff(a, tmp_path / "missing")
    assert "is not a run directory: it has no result.json" in diff(tmp_path, a)
    copied = tmp_path / "copied"
    shutil.copytree(a, copied)
    (copied / "mlperf_log_accuracy.json").unlink()
    assert f"{copied} has no mlperf_log_accuracy.json" in diff(a, copied)
    performance = runs("resnet", N_COUNT=4, MODE="performance")
    assert "is a performance run (MODE=performance)" in diff(performance, a)
    assert "--rows -1 is not valid" in diff(a, a, "--rows", "-1")


def test_pairs_read_both_logs_in_step_and_keep_the_unpaired():
    pairs = Pairs(iter([(0, "a0"), (1, "a1"), (2, "a2")]), iter([(2, "b2"), (0, "b0"), (5, "b5")]))
    assert sorted(pairs) == [(0, "a0", "b0"), (2, "a2", "b2")]
    assert pairs.counts == [3, 3] and pairs.paired == 2 and pairs.only == ([1], [5])


def test_a_benchmark_without_a_comparison_gets_exact_equality():
    same, other = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    comparison = exact_outputs([(4, same, same.copy()), (1, same, other), (0, (same, same), (same, other))])
    assert comparison.figures == {"samples": 3, "identical": 1, "differ": 2}
    assert [row["index"] for row in comparison.rows] == [0, 1]


def test_worked_examples():
    from language.llama2_70b import diff as llama2_diff
    from language.llm import diff as llm_diff
    from text_to_image.sdxl import diff as sdxl_diff
    from vision.retinanet import diff as retinanet_diff

    for module in (llm_diff, llama2_diff, retinanet_diff, sdxl_diff):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_runs_without_a_common_sample_compare_to_empty_figures():
    """Two shards of one run share no sample: every comparison says so instead of dividing by zero."""
    from language.llm.diff import compare as llm_compare
    from text_to_image.sdxl.diff import compare_images

    assert all(b.diff for b in registry.all_benchmarks())
    with_context = ("gptj", "llama2_70b", "mixtral_8x7b", "sdxl")  # their pure parts are called below
    comparisons = [load_object(b.diff)(iter([]), None) for b in registry.all_benchmarks() if b.id not in with_context]
    comparisons += [llm_compare(iter([])), compare_images(iter([]))]
    assert len(comparisons) == 8
    for comparison in comparisons:
        assert comparison.rows == []
        assert 0 in comparison.figures.values()  # the count of compared samples
        assert json.dumps(comparison.figures, allow_nan=False)


def test_unknown_run_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such folder"):
        compare(tmp_path / "nope", tmp_path / "nope")
