"""DLRM-v2 scoring on hand-made logs with known answers, and the accuracy command's lines."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("sklearn")

from harness.codecs import FLOAT32, Responses  # noqa: E402
from recommendation.dlrm_v2 import accuracy  # noqa: E402
from recommendation.dlrm_v2.metric import GrowingArray, auc_of, collect, good_of, line, score  # noqa: E402


def entry(seq: int, idx: int, values, dtype="<f4") -> dict:
    return {"seq_id": seq, "qsl_idx": idx, "data": np.asarray(values, dtype=dtype).tobytes().hex().upper()}


def write_log(path, entries) -> Responses:
    path.write_text(json.dumps(entries))
    return Responses(path, FLOAT32)


def pairs(preds, labels) -> np.ndarray:
    return np.column_stack([preds, labels]).astype(np.float32).ravel()


def direct_auc(labels, preds) -> float:
    """P(score of a positive > score of a negative), ties counting one half, over all pairs."""
    pos = [p for p, t in zip(preds, labels) if t == 1]
    neg = [p for p, t in zip(preds, labels) if t == 0]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def test_auc_of_the_spec_example_and_its_printed_line():
    labels, preds = np.array([0, 0, 1, 1], np.float32), np.array([0.1, 0.4, 0.35, 0.8], np.float32)
    assert auc_of(labels, preds) == 0.75 and good_of(labels, preds) == 3
    assert line(0.75, 3, 4, 1) == "AUC=75.000%, accuracy=75.000%, good=3, total=4, queries=1"


def test_auc_equals_the_direct_count_over_all_pairs_with_ties():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300).astype(np.float32)
    preds = np.round(rng.random(300) * 0.6 + labels * 0.3, 2).astype(np.float32)  # many ties
    assert auc_of(labels, preds) == pytest.approx(direct_auc(labels, preds), abs=1e-12)


def test_accuracy_rounds_half_to_even_as_the_reference():
    assert good_of(np.array([0, 1, 1], np.float32), np.array([0.5, 0.5, 0.51], np.float32)) == 2


def test_streamed_log_keeps_the_first_response_per_sample(tmp_path):
    first = [entry(0, 2, pairs([0.9, 0.2], [1, 0])), entry(1, 0, pairs([0.3, 0.7, 0.6], [0, 1, 1]))]
    dupes = [entry(2, 2, pairs([0.1, 0.1], [0, 0])), entry(3, 0, pairs([0.5], [1]))]
    found = collect(write_log(tmp_path / "mlperf_log_accuracy.json", first[:1] + dupes[:1] + first[1:] + dupes[1:]))
    assert found.qsl_indices == [2, 0] and found.duplicates == 2
    assert found.predictions.dtype == np.float32 and found.labels.dtype == np.float32
    np.testing.assert_array_equal(found.predictions, np.float32([0.9, 0.2, 0.3, 0.7, 0.6]))
    np.testing.assert_array_equal(found.labels, np.float32([1, 0, 0, 1, 1]))


def test_growing_array_keeps_every_value_across_growth():
    grow = GrowingArray(np.float32, capacity=2)
    for start in range(0, 100, 7):
        grow.extend(np.arange(start, min(start + 7, 100), dtype=np.float32))
    np.testing.assert_array_equal(grow.view(), np.arange(100, dtype=np.float32))


def test_the_scorer_notes_responses_that_carry_another_samples_pairs(tmp_path):
    labels = [np.array([1, 0], np.int32), np.array([0, 0, 1], np.int32)]
    dataset = SimpleNamespace(labels_of=lambda i: labels[i])
    log = tmp_path / "log.json"
    right = score(write_log(log, [entry(0, 0, pairs([0.8, 0.1], [1, 0])),
                                  entry(1, 1, pairs([0.2, 0.3, 0.9], [0, 0, 1]))]), dataset, None)
    assert right.values == {"AUC": 100.0} and right.notes == [] and right.scored == 2
    assert right.lines == ["AUC=100.000%, accuracy=100.000%, good=5, total=5, queries=2"]
    # sample 1 answered with sample 0's pairs, as the reference's queue runner did
    notes = score(write_log(log, [entry(0, 0, pairs([0.8, 0.1], [1, 0])), entry(1, 1, pairs([0.8, 0.1], [1, 0]))]),
                  dataset, None).notes
    assert notes == ["1 sample(s) carry labels that are not theirs (first qsl_idx 1): responses were matched "
                     "to the wrong samples"]


def test_one_class_an_empty_log_or_half_a_pair_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="qsl_idx 4 holds 3 values"):
        collect(write_log(tmp_path / "log.json", [entry(0, 4, [0.5, 1.0, 0.2])]))
    with pytest.raises(ValueError, match="both classes"):
        auc_of(np.zeros(3, np.float32), np.float32([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="empty"):
        auc_of(np.zeros(0, np.float32), np.zeros(0, np.float32))


def test_accuracy_command_prints_the_reference_lines(tmp_path, capsys):
    log = tmp_path / "log.json"
    log.write_text(json.dumps([entry(0, 0, pairs([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])),
                               entry(1, 0, pairs([0.9], [0]))]))
    assert accuracy.main(["--mlperf-accuracy-file", str(log), "--verbose", "--json", str(tmp_path / "m.json")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Assuming loadgen accuracy log contains ground truth labels.",
        "Parsing loadgen accuracy log...",
        "0:2, expected: 1.0, found 0.0",
        "Calculating AUC metric...",
        "AUC=75.000%, accuracy=75.000%, good=3, total=4, queries=1",
        "found and ignored 1 query dupes"]
    assert json.loads((tmp_path / "m.json").read_text())["AUC"] == 75.0


def test_accuracy_command_reads_labels_from_day_23_in_trace_order(tmp_path, capsys):
    # three samples of 2, 1 and 2 rows; the log holds predictions only, samples 2, 0, 1
    (tmp_path / "trace.txt").write_text("0, 2, 2\n2, 3, 1\n3, 5, 2\n")
    (tmp_path / "day_23").write_text("".join(f"{t}\t5\t7\n" for t in (1, 0, 1, 0, 1, 1)))
    log = tmp_path / "log.json"
    log.write_text(json.dumps([entry(0, 2, [0.2, 0.9]), entry(1, 0, [0.8, 0.3]), entry(2, 1, [0.6])]))
    argv = ["--mlperf-accuracy-file", str(log), "--day-23-file", str(tmp_path / "day_23"),
            "--aggregation-trace-file", str(tmp_path / "trace.txt")]
    assert accuracy.main(argv) == 0
    # labels in log order: [0, 1] + [1, 0] + [1]; predictions [0.2, 0.9, 0.8, 0.3, 0.6]
    expected = direct_auc([0, 1, 1, 0, 1], [0.2, 0.9, 0.8, 0.3, 0.6])
    assert capsys.readouterr().out.splitlines() == [
        "Assuming loadgen accuracy log does not contain ground truth labels.",
        "Parsing loadgen accuracy log...",
        "Parsing aggregation trace file...",
        "Parsing ground truth labels from day_23 file...",
        "Re-ordering ground truth labels...",
        "Calculating AUC metric...",
        line(expected, 5, 5, 3)]
