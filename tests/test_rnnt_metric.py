"""RNN-T scoring, text, features and model on hand-made inputs with known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.codecs import INT64, ArrayCodec, Responses
from speech_recognition.rnnt import accuracy, text
from speech_recognition.rnnt.metric import score_transcripts
from speech_recognition.rnnt.wer import corpus_wer, wer_line, word_distance


def entry(idx: int, ids, dtype="<i8") -> dict:
    return {"seq_id": idx, "qsl_idx": idx, "data": np.asarray(ids, dtype=dtype).tobytes().hex().upper()}


def score_log(folder, entries, references, codec=INT64):
    """Score ``entries`` written as a log, the way the accuracy command reads one."""
    log = folder / f"log{len(list(folder.iterdir()))}.json"
    log.write_text(json.dumps(entries))
    return score_transcripts(Responses(log, codec, size=len(references)).every(), references)


@pytest.mark.parametrize("hyp,ref,distance", [
    ("", "a b c", 3), ("a b c", "", 3), ("a b c", "a b c", 0), ("a x c", "a b c", 1),
    ("b c", "a b c", 1), ("a b c d", "a b c", 1), ("kitten sat", "sitting sat", 1), ("c b a", "a b c", 2)])
def test_word_distance(hyp, ref, distance):
    assert word_distance(hyp.split(), ref.split()) == distance


def test_corpus_wer_sums_errors_and_words_over_utterances():
    # 1 substitution + 1 deletion + 2 insertions over 3 + 2 + 1 reference words.
    wer, errors, words = corpus_wer(["the cat sat", "a", "x  y  z"], ["the hat sat", "a b", "x"])
    assert (errors, words) == (4, 6) and wer == 4 / 6
    assert corpus_wer(["a"], [""])[0] == float("inf")
    with pytest.raises(ValueError):
        corpus_wer(["a"], [])


def test_wer_line_uses_plain_float_formatting():
    assert wer_line(3305 / 44349) == "Word Error Rate: 7.452253714852645%, accuracy=92.54774628514735%"
    assert wer_line(0.0) == "Word Error Rate: 0.0%, accuracy=100.0%"
    assert wer_line(0.25) == "Word Error Rate: 25.0%, accuracy=75.0%"


def test_normalize_matches_the_reference_cleaners():
    assert text.normalize("  He SAID: \"Mr. Smith & co.\"  ") == "he said mister smith and company"
    assert text.normalize("don't-stop  a+b café") == "don't stop a plus b cafe"
    assert text.to_ids("a z' ") == [1, 0, 26, 27, 0] and text.to_text([8, 9, 0]) == "hi "
    # digits are spelled as upstream's inflect cleaners spell them (more in test_rnnt_numbers.py)
    assert text.normalize("Chapter 12: the 1st of $3.50") == "chapter twelve the first of three dollars fifty cents"
    with pytest.raises(ValueError, match="outside"):
        text.to_text([28])


def test_scoring_keeps_repeats_as_upstream_and_reads_accuracy(tmp_path):
    refs = ["the cat sat", "a b"]
    good, bad = text.to_ids("the cat sat"), text.to_ids("a c")
    score = score_log(tmp_path, [entry(0, good), entry(1, bad), entry(1, bad)], refs)
    assert score.lines == [wer_line(2 / 7)]  # the repeated entry counts again, as upstream
    assert score.values == {"WER": (1 - 2 / 7) * 100}
    assert score.scored == 2 and score.duplicates == 1 and score.details["errors"] == 2
    empty = score_log(tmp_path, [entry(0, []), entry(1, text.to_ids("a b"))], refs)
    assert empty.lines == ["Word Error Rate: 60.0%, accuracy=40.0%"]
    int32 = score_log(tmp_path, [entry(0, good, "<i4")], refs, ArrayCodec("int32"))
    assert int32.lines[0].startswith("Word Error Rate: 0.0%")
    with pytest.raises(ValueError, match="qsl_idx 5"):
        score_log(tmp_path, [entry(5, good)], refs)
    with pytest.raises(ValueError, match="empty"):
        score_log(tmp_path, [], refs)


def test_accuracy_command_takes_upstream_flags_and_prints_its_line(tmp_path, capsys):
    manifest = [{"files": [{"fname": f"dev-clean-wav/1/2/1-2-{i}.wav", "speed": 1}],
                 "original_duration": d, "transcript": t}
                for i, (d, t) in enumerate([(3.0, "the cat sat"), (16.0, "too long"), (15.0, "a b")])]
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    log = [entry(0, text.to_ids("the cat sat")), entry(1, text.to_ids("a"))]  # qsl 1 = "a b" (16 s dropped)
    (tmp_path / "mlperf_log_accuracy.json").write_text(json.dumps(log))
    rc = accuracy.main(["--log_dir", str(tmp_path), "--dataset_dir", str(tmp_path), "--manifest",
                        str(tmp_path / "m.json"), "--output_dtype", "int64", "--json", str(tmp_path / "o.json")])
    assert rc == 0
    assert capsys.readouterr().out == "Word Error Rate: 20.0%, accuracy=80.0%\n"
    assert json.loads((tmp_path / "o.json").read_text())["errors"] == 1
