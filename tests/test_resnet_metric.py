"""Top-1 accuracy and the accuracy command on hand-made logs with known answers."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from harness.codecs import FLOAT32, INT32, INT64, Responses
from vision.resnet50 import metric

NAMES = [f"img{i}.JPEG" for i in range(6)]
LABELS = [5, 7, 1, 0, 999, 42]


def entry(seq: int, idx: int, value, dtype=np.float32) -> dict:
    return {"seq_id": seq, "qsl_idx": idx, "data": np.array([value], dtype=dtype).tobytes().hex().upper()}


def write(tmp_path, entries, labels=LABELS):
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text("[\n" + ",\n".join(json.dumps(e) for e in entries) + "\n]\n")
    val = tmp_path / "val_map.txt"
    val.write_text("".join(f"{n} {lab}\n" for n, lab in zip(NAMES, labels)))
    return log, val


def accuracy_cmd(log, val, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "accuracy", "resnet", "--mlperf-accuracy-file",
                           str(log), "--imagenet-val-file", str(val), *extra],
                          cwd=ROOT, capture_output=True, text=True)


def test_worked_examples_in_the_docstring_hold():
    assert doctest.testmod(metric).failed == 0


def test_duplicates_keep_the_first_response_in_log_order(tmp_path):
    # qsl 1 first answered wrong (8), then right (7): the first counts, as upstream de-duplicates.
    entries = [entry(0, 1, 8), entry(1, 0, 5), entry(2, 1, 7), entry(3, 2, 1), entry(4, 0, 3)]
    log, val = write(tmp_path, entries)
    done = accuracy_cmd(log, val, "--verbose")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("img1.JPEG, expected: 7, found 8\n"
                           "accuracy=66.667%, good=2, total=3\n"
                           "found and ignored 2 dupes\n")


def test_missing_samples_shrink_the_denominator_not_the_score(tmp_path):
    # 6 images listed, 4 in the log (2 never ran): total is what the log holds, as upstream.
    log, val = write(tmp_path, [entry(0, 5, 42), entry(1, 3, 0), entry(2, 4, 998), entry(3, 0, 5)])
    done = accuracy_cmd(log, val)
    assert done.stdout == "accuracy=75.000%, good=3, total=4\n"


@pytest.mark.parametrize("dtype,np_dtype", [("float32", np.float32), ("int32", np.int32), ("int64", np.int64)])
def test_each_dtype_decodes_its_payloads(tmp_path, dtype, np_dtype):
    entries = [entry(i, i, value, np_dtype) for i, value in enumerate([5, 7, 2, 0, 999, 41])]
    log, val = write(tmp_path, entries)
    out_json = tmp_path / "m.json"
    done = accuracy_cmd(log, val, "--dtype", dtype, "--json", str(out_json))
    assert done.stdout == "accuracy=66.667%, good=4, total=6\n"
    assert json.loads(out_json.read_text())["acc"] == 66.667


def test_a_wrong_dtype_gives_wrong_classes_not_a_crash(tmp_path):
    log, val = write(tmp_path, [entry(0, 0, 5, np.float32)])
    assert accuracy_cmd(log, val, "--dtype", "int32").stdout == "accuracy=0.000%, good=0, total=1\n"


def test_rounding_is_the_printed_three_decimals(tmp_path):
    result = metric.top1({i: (0 if i < 1 else 1) for i in range(8)}, [0] * 8)
    assert metric.accuracy_line(result) == "accuracy=12.500%, good=1, total=8"
    log, _ = write(tmp_path, [entry(0, 0, 1), entry(1, 1, 1), entry(2, 2, 2)])
    score = metric.score_responses(Responses(log, FLOAT32, size=3), ["a", "b", "c"], [1, 1, 1], out=lambda _: None)
    assert score.values == {"acc": 66.667} and score.details["accuracy_unrounded"] == 200 / 3


def test_an_empty_payload_is_a_miss(tmp_path):
    entries = [entry(0, 0, 5), {"seq_id": 1, "qsl_idx": 1, "data": ""}]
    log, val = write(tmp_path, entries)
    done = accuracy_cmd(log, val, "--verbose")
    assert done.stdout.splitlines()[:2] == ["img1.JPEG, expected: 7, found nothing",
                                            "accuracy=50.000%, good=1, total=2"]


def test_an_index_past_the_label_file_is_a_clear_error(tmp_path):
    log, val = write(tmp_path, [entry(0, 17, 1)])
    done = accuracy_cmd(log, val)
    assert done.returncode != 0 and "qsl_idx 17" in done.stderr


def test_codecs_round_trip_and_first_responses(tmp_path):
    for codec, values in ((FLOAT32, [65.0, 1.5]), (INT32, [-3, 2**31 - 1]), (INT64, [2**40, -1])):
        assert codec.decode(codec.encode(values)).tolist() == values
    assert FLOAT32.encode([65.0]).hex().upper() == "00008242"  # class 65 as upstream logs it
    log, _ = write(tmp_path, [entry(0, 2, 1), entry(1, 2, 9), entry(2, 0, 4)])
    responses = Responses(log, FLOAT32, size=3)
    kept = responses.collect()
    assert list(kept) == [2, 0] and responses.duplicates == 1 and kept[2].tolist() == [1.0]
