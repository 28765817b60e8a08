"""RetinaNet mAP and the accuracy command on hand-made COCO sets with known answers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

pytest.importorskip("pycocotools")

from harness.codecs import Responses  # noqa: E402
from vision.retinanet import codec, metric  # noqa: E402

SIZES = [(480, 640), (683, 1024), (500, 300)]  # (height, width) of images 1..3


def ground_truth(tmp_path, objects):
    """openimages-mlperf.json under <tmp>/annotations; objects: (image_id, category, [x, y, w, h], crowd)."""
    images = [{"id": i + 1, "file_name": f"{i:016x}.jpg", "height": h, "width": w, "license": None,
               "coco_url": None} for i, (h, w) in enumerate(SIZES)]
    anns = [{"id": n + 1, "image_id": img, "category_id": cat, "bbox": box, "area": box[2] * box[3],
             "iscrowd": crowd, "IsGroupOf": crowd} for n, (img, cat, box, crowd) in enumerate(objects)]
    data = {"info": {}, "licenses": [], "images": images, "annotations": anns,
            "categories": [{"id": i, "name": f"c{i}", "supercategory": None} for i in range(264)]}
    (tmp_path / "annotations").mkdir(exist_ok=True)
    (tmp_path / "annotations" / "openimages-mlperf.json").write_text(json.dumps(data))
    return images


def detection(idx, box, score, label):
    """A 7-float detection of image qsl ``idx`` exactly on ``box`` (x, y, w, h in its pixels)."""
    h, w = SIZES[idx]
    x, y, bw, bh = box
    return [idx, y / h, x / w, (y + bh) / h, (x + bw) / w, score, label]


def entry(seq, idx, dets):
    return {"seq_id": seq, "qsl_idx": idx, "data": np.asarray(dets, np.float32).tobytes().hex().upper()}


def accuracy_cmd(tmp_path, entries, *extra, env=None):
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text(json.dumps(entries))
    return subprocess.run([sys.executable, "-m", "harness", "accuracy", "retinanet", "--mlperf-accuracy-file",
                           str(log), "--openimages-dir", str(tmp_path), "--output-file",
                           str(tmp_path / "out.json"), *extra], cwd=ROOT, capture_output=True, text=True, env=env)


BOXES = {1: [(3, [10, 20, 200, 100], 0), (7, [300, 50, 120, 300], 0), (7, [0, 0, 640, 480], 1)],
         2: [(3, [500, 200, 400, 300], 0)], 3: [(0, [20, 40, 100, 200], 0)]}
OBJECTS = [(img, cat, box, crowd) for img, objs in BOXES.items() for cat, box, crowd in objs]


def test_detections_equal_to_the_ground_truth_score_100_percent(tmp_path):
    ground_truth(tmp_path, OBJECTS)
    entries = [entry(n, img - 1, [detection(img - 1, box, 0.9, cat) for cat, box, crowd in BOXES[img] if not crowd])
               for n, img in enumerate((2, 1, 3))]
    entries.append(entries[0])  # MultiStream-style repeat: ignored
    done = accuracy_cmd(tmp_path, entries, "--verbose")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-5:] == ["mAP=100.000%", "found 4 results", "found 3 images",
                                             "found 0 images with no results", "ignored 1 dupes"]
    assert " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000" in done.stdout


def test_half_the_objects_found_gives_the_hand_computed_map(tmp_path):
    # One category, two objects, one found exactly: recall 0.5 at every IoU threshold, precision 1
    # up to it, so 51 of COCO's 101 recall points have precision 1: AP = 51/101 = 50.495%.
    ground_truth(tmp_path, [(1, 5, [10, 20, 200, 100], 0), (2, 5, [500, 200, 400, 300], 0)])
    entries = [entry(0, 0, [detection(0, [10, 20, 200, 100], 0.8, 5)]),
               {"seq_id": 1, "qsl_idx": 1, "data": ""}]  # image 2 answered nothing: its object is missed
    done = accuracy_cmd(tmp_path, entries, "--verbose")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "no results: None, idx=1" in lines
    assert lines[-5:] == ["mAP=50.495%", "found 2 results", "found 2 images", "found 1 images with no results",
                          "ignored 0 dupes"]


def test_a_second_category_missed_entirely_halves_the_map(tmp_path):
    # category 1: AP 1; category 2: its only detection overlaps nothing: AP 0; mean 50.000%
    ground_truth(tmp_path, [(1, 1, [10, 20, 200, 100], 0), (1, 2, [300, 50, 120, 300], 0)])
    dets = [detection(0, [10, 20, 200, 100], 0.9, 1), detection(0, [0, 400, 50, 50], 0.7, 2)]
    done = accuracy_cmd(tmp_path, [entry(0, 0, dets)])
    assert done.stdout.splitlines()[-1] == "mAP=50.000%"


def test_boxes_are_scaled_in_float64_as_under_numpy_1(tmp_path):
    ground_truth(tmp_path, OBJECTS)
    det = [1, 0.123456789, 0.987654321, 0.5, 0.99, 0.5, 3]
    accuracy_cmd(tmp_path, [entry(0, 1, [det])])
    written = json.loads((tmp_path / "out.json").read_text())[0]
    h, w = SIZES[1]
    f32 = np.asarray(det, np.float32).astype(np.float64)
    assert written["bbox"] == [f32[2] * w, f32[1] * h, f32[4] * w - f32[2] * w, f32[3] * h - f32[1] * h]
    assert written["bbox"][1] != float(np.float32(det[1]) * np.float32(h))  # numpy 2's float32 differs
    assert written["score"] == float(np.float32(0.5)) and written["category_id"] == 3
    assert written["image_id"] == 2 and written["image_loc"].endswith("validation/data/0000000000000001.jpg")


def test_inverse_label_map_and_annotation_path_from_the_environment(tmp_path):
    ground_truth(tmp_path, [(3, 0, [20, 40, 100, 200], 0)])
    moved = tmp_path / "elsewhere.json"
    (tmp_path / "annotations" / "openimages-mlperf.json").rename(moved)
    env = {**__import__("os").environ, "DATASET_ANNOTATIONS_FILE_PATH": str(moved)}
    # with --use-inv-map label 1 means the first category id (0), as upstream maps it
    done = accuracy_cmd(tmp_path, [entry(0, 2, [detection(2, [20, 40, 100, 200], 0.9, 1)])], "--use-inv-map", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "mAP=100.000%"


def test_a_log_without_any_detection_scores_zero_instead_of_crashing(tmp_path):
    ground_truth(tmp_path, OBJECTS)
    done = accuracy_cmd(tmp_path, [{"seq_id": 0, "qsl_idx": 0, "data": ""}])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "mAP=0.000%"


def test_an_index_past_the_annotation_file_is_a_clear_error(tmp_path):
    ground_truth(tmp_path, OBJECTS)
    done = accuracy_cmd(tmp_path, [entry(0, 17, [detection(0, [1, 1, 5, 5], 0.9, 3)])])
    assert done.returncode != 0 and "qsl_idx 17" in done.stderr


def test_payload_index_mismatch_is_reported_like_upstream(tmp_path):
    ground_truth(tmp_path, OBJECTS)
    det = detection(0, [10, 20, 200, 100], 0.9, 3)
    det[0] = 2
    done = accuracy_cmd(tmp_path, [entry(0, 0, [det])])
    assert "ERROR: loadgen(0) and payload(2) disagree on image_idx" in done.stdout


def test_parallel_evaluation_gives_the_same_statistics(tmp_path):
    rng = np.random.default_rng(0)
    objects, entries = [], []
    for img in (1, 2, 3):
        h, w = SIZES[img - 1]
        dets = []
        for _ in range(30):
            bw, bh = rng.uniform(10, w / 3), rng.uniform(10, h / 3)
            box = [rng.uniform(0, w - bw), rng.uniform(0, h - bh), bw, bh]
            cat = int(rng.integers(0, 20))
            objects.append((img, cat, box, int(rng.random() < 0.1)))
            jitter = (np.array(box) + rng.normal(0, 6, 4)).tolist()
            dets.append(detection(img - 1, jitter, rng.uniform(0.05, 1), cat if rng.random() < 0.8 else cat + 1))
        entries.append(entry(img, img - 1, sorted(dets, key=lambda d: -d[5])))
    ground_truth(tmp_path, objects)
    gt = metric.load_ground_truth(tmp_path / "annotations" / "openimages-mlperf.json", out=lambda _: None)
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text(json.dumps(entries))
    one = metric.score_responses(Responses(log, codec.CODEC, size=3), gt, out=lambda _: None, workers=1)
    three = metric.score_responses(Responses(log, codec.CODEC, size=3), gt, out=lambda _: None, workers=3)
    assert one.details["stats"] == three.details["stats"] and 0 < one.values["mAP"] < 100


def test_codec_packs_seven_floats_and_stops_at_the_first_low_score():
    boxes = np.array([[80, 160, 400, 800], [0, 0, 8, 8], [1, 1, 2, 2]], np.float32)
    packed = codec.pack(5, boxes, np.array([0.9, 0.04, 0.8], np.float32), np.array([263, 1, 2]))
    assert packed.dtype == np.float32 and packed.tolist() == np.float32([5, 0.2, 0.1, 1.0, 0.5, 0.9, 263]).tolist()
    assert codec.detections(codec.CODEC.decode(codec.CODEC.encode(packed))).tolist() == [packed.tolist()]
    assert codec.pack(0, np.zeros((0, 4)), np.zeros(0), np.zeros(0)).size == 0
    assert codec.detections(codec.CODEC.decode(b"")).shape == (0, 7)
