"""DICE on hand-made masks, the summary and printed line, and the accuracy command's flags and output."""

from __future__ import annotations

import doctest
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from unet3d_fixture import unet3d_fixture  # noqa: F401 - the fixture

from vision.unet3d import metric
from vision.unet3d.accuracy import read_mean_row, write_summary

UPSTREAM_LINES = ["Loading necessary metadata...", "Loading loadgen accuracy log...", "Running postprocessing...",
                  "Saving predictions...", "Running evaluation...", "Processing evaluation summary..."]


def test_worked_examples_in_the_docstring_hold():
    assert doctest.testmod(metric).failed == 0


def test_dice_on_hand_made_masks():
    # 2x2x3 volume. Kidney: truth 2 voxels, prediction 3, overlap 2 -> (4 + e) / (5 + e).
    # Tumour: truth 1 voxel, prediction 1 elsewhere, overlap 0 -> e / (2 + e).
    target = np.array([[[1, 1, 0], [0, 2, 0]], [[0, 0, 0], [0, 0, 0]]], dtype=np.uint8)
    prediction = np.array([[[1, 1, 1], [0, 0, 2]], [[0, 0, 0], [0, 0, 0]]], dtype=np.uint8)
    kidney, tumor = metric.dice_scores(prediction, target)
    assert kidney == (4 + 1e-6) / (5 + 1e-6) and tumor == 1e-6 / (2 + 1e-6)
    assert metric.dice_scores(target, target) == (1.0, 1.0)
    # a class absent from both scores 1 (the smoothing); kidney is label 1 only, tumour not merged
    only_kidney = np.where(target == 2, 1, target).astype(np.uint8)
    assert metric.dice_scores(only_kidney, only_kidney) == (1.0, 1.0)
    assert metric.dice_scores(target, only_kidney)[0] == (4 + 1e-6) / (5 + 1e-6)


def test_dice_rejects_foreign_labels_and_shapes():
    with pytest.raises(ValueError, match="label 3"):
        metric.dice_scores(np.array([0, 3], np.uint8), np.array([0, 1], np.uint8))
    with pytest.raises(ValueError, match="differ in shape"):
        metric.dice_scores(np.zeros((2, 2), np.uint8), np.zeros((4,), np.uint8))


def test_summary_means_and_line():
    per_case = {"a": (0.9, 0.7), "b": ((4 + 1e-6) / (5 + 1e-6), 1.0), "c": (float("nan"), 0.5)}
    means = metric.summarise(per_case)
    assert means["kidney"] == pytest.approx((0.9 + 0.8000000399999920 + 0) / 3, abs=1e-15)  # NaN counts as 0
    assert means["tumor"] == pytest.approx(2.2 / 3, abs=1e-15)
    assert metric.accuracy_line(means) == "Accuracy: mean = 0.56667, kidney = 0.5667, tumor = 0.7333"
    assert metric.accuracy_line({"composite": 0.861704, "kidney": 0.93474, "tumor": 0.78866}) == \
        "Accuracy: mean = 0.86170, kidney = 0.9347, tumor = 0.7887"
    with pytest.raises(ValueError, match="empty"):
        metric.summarise({})


def test_summary_csv_round_trips_the_exact_means(tmp_path):
    per_case = {"case_00000": (0.1, 0.2), "case_00003": (1 / 3, 2 / 3)}
    means = metric.summarise(per_case)
    write_summary(tmp_path / "summary.csv", per_case, means)
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert lines[0] == "case,kidney,tumor,composite" and lines[1] == "case_00000,0.1,0.2,0.15000000000000002"
    assert read_mean_row(tmp_path / "summary.csv") == {"composite": means["composite"], "kidney": means["kidney"],
                                                       "tumor": means["tumor"]}


def _log(path, payloads, dtype=np.uint8):
    entries = [{"seq_id": n, "qsl_idx": idx, "data": np.asarray(p, dtype).tobytes().hex().upper()}
               for n, (idx, p) in enumerate(payloads)]
    path.write_text(json.dumps(entries))
    return path


def _accuracy(tmp_path, log, pre, *extra):
    return subprocess.run([sys.executable, "-m", "harness", "accuracy", "3d-unet", "--log_file", str(log),
                           "--preprocessed_data_dir", str(pre), "--postprocessed_data_dir", str(tmp_path / "post"),
                           *extra], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture()
def full_set(unet3d_fixture, tmp_path):
    """The fixture's preprocessed folder with an index listing only its cases (a complete set)."""
    from vision.unet3d import store

    pre = unet3d_fixture["preprocessed"]
    store.write_index(pre, unet3d_fixture["cases"], store.records(pre, unet3d_fixture["cases"]))
    labels = [store.load_case(pre, c)[1] for c in unet3d_fixture["cases"]]
    return pre, labels


def test_accuracy_command_prints_the_reference_lines(full_set, tmp_path):
    pre, labels = full_set
    log = _log(tmp_path / "perfect.json", [(2, labels[2]), (0, labels[0]), (1, labels[1])])
    done = _accuracy(tmp_path, log, pre, "--num_proc", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == UPSTREAM_LINES + ["Accuracy: mean = 1.00000, kidney = 1.0000, tumor = 1.0000",
                                                         "Done!"]
    assert (tmp_path / "post" / "case_00005" / "prediction.nii.gz").is_file()
    assert (tmp_path / "post" / "summary.csv").read_text().splitlines()[-1] == "mean,1.0,1.0,1.0"

    # all background: both classes are present in every case, so DICE is about 1e-6 / |G|
    log = _log(tmp_path / "empty.json", [(i, np.zeros_like(lab)) for i, lab in enumerate(labels)])
    done = _accuracy(tmp_path, log, pre, "--num_proc", "1")
    assert done.stdout.splitlines()[-2] == "Accuracy: mean = 0.00000, kidney = 0.0000, tumor = 0.0000"


def test_accuracy_command_partial_log_dtype_and_duplicates(full_set, tmp_path):
    pre, labels = full_set
    # int32 payloads; sample 1 answered twice (first answer counts); sample 2 missing
    log = _log(tmp_path / "log.json", [(1, labels[1]), (0, labels[0]), (1, np.zeros_like(labels[1]))], np.int32)
    done = _accuracy(tmp_path, log, pre, "--output_dtype", "int32", "--num_proc", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-3] == "note: partial verdict: DICE over 2 of 3 cases; the official figure needs all 3 " \
                        "(case_00185 counts twice, via case_00400)"
    assert lines[-2:] == ["Accuracy: mean = 1.00000, kidney = 1.0000, tumor = 1.0000", "Done!"]
    assert not (tmp_path / "post" / "case_00005").exists()


def test_accuracy_command_flags_are_the_upstream_ones():
    done = subprocess.run([sys.executable, "-m", "harness", "accuracy", "3d-unet", "--help"], cwd=ROOT,
                          capture_output=True, text=True)
    for flag in ("--log_file", "--output_dtype", "--preprocessed_data_dir", "--postprocessed_data_dir", "--num_proc"):
        assert flag in done.stdout
    assert math.isclose(0.86170 * 0.99, 0.853083)
