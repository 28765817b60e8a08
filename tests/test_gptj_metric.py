"""GPT-J scoring on hand-made inputs: ROUGE values worked out by hand, rounding, parallel = serial."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from harness.codecs import INT64, ArrayCodec, Responses
from language.gptj import metric
from language.llm import rouge, sentences

PAIRS = [  # (prediction, reference): rouge1, rouge2, rougeL F-measures by hand
    ("the cat sat on the mat", "the cat sat on a mat"),  # 5/6, 3/5, 5/6
    ("Running dogs!", "run dog"),  # stemmed to the same tokens: 1, 1, 1
    ("apples", "oranges"),  # 0, 0, 0
]


def test_rouge_on_hand_made_pairs():
    per_sample = rouge.fmeasures([p for p, _ in PAIRS], [r for _, r in PAIRS])
    np.testing.assert_allclose(per_sample[:, :3], [[5 / 6, 3 / 5, 5 / 6], [1, 1, 1], [0, 0, 0]])
    values = rouge.aggregate(per_sample)
    assert values == {"rouge1": 61.1111, "rouge2": 53.3333, "rougeL": 61.1111, "rougeLsum": 61.1111}
    assert all(type(v) is float for v in values.values())


def test_rougelsum_uses_the_sentence_lines():
    one_line = rouge.fmeasures(["b a"], ["a b"])[0]
    two_lines = rouge.fmeasures(["b\na"], ["a\nb"])[0]
    assert one_line[3] == pytest.approx(0.5) and two_lines[3] == pytest.approx(1.0)


def test_rounding_is_numpy_half_to_even_as_the_reference():
    per_sample = np.full((1, 4), 0.1999975)
    expected = float(np.round(np.float64(0.1999975) * 100, 4))
    assert rouge.aggregate(per_sample)["rouge1"] == expected == 19.9998
    assert round(0.1999975 * 100, 4) == 19.9997  # Python's own round differs here


def test_parallel_scoring_equals_one_process():
    rng = np.random.default_rng(0)
    words = "the a cat dogs running river city council said police team fans won lost".split()
    preds = [" ".join(rng.choice(words, rng.integers(3, 20))) for _ in range(160)]
    refs = [" ".join(rng.choice(words, rng.integers(3, 20))) for _ in range(160)]
    serial = rouge.fmeasures(preds, refs, workers=1)
    parallel = rouge.fmeasures(preds, refs, workers=2)
    assert np.array_equal(serial, parallel)
    assert rouge.aggregate(serial) == rouge.aggregate(parallel)


def _punkt_zip(path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name in ("collocations.tab", "sent_starters.txt", "abbrev_types.txt", "ortho_context.tab"):
            bundle.writestr(f"punkt_tab/english/{name}", "")
    path.write_bytes(buffer.getvalue())
    return path


def test_sentence_splitter_is_verified_and_read_locally(tmp_path):
    zipped = _punkt_zip(tmp_path / "punkt_tab.zip")
    with pytest.raises(ValueError, match="sha256"):
        sentences.unpack(zipped)  # not nltk's official file
    split = sentences.splitter(sentences.unpack(zipped, None))
    assert split("Police came. The team won!") == ["Police came.", "The team won!"]


def write_log(path, rows, dtype="<i8"):
    """An accuracy log of ``(qsl_idx, token ids)`` rows in this order."""
    path.write_text(json.dumps([{"seq_id": n, "qsl_idx": idx, "data": np.array(ids, dtype).tobytes().hex().upper()}
                                for n, (idx, ids) in enumerate(rows)]))
    return path


def test_result_line_dedup_and_dtype(tmp_path):
    class Chars:  # token id = character code; the reference's tokenizer skips EOS 50256
        def batch_decode(self, ids, skip_special_tokens, clean_up_tokenization_spaces):
            return ["".join(chr(i) for i in row if i != 50256) for row in ids]

    split = sentences.splitter(sentences.unpack(_punkt_zip(tmp_path / "p.zip"), None))
    log = write_log(tmp_path / "log.json", [(1, [ord(c) for c in " run dog ."] + [50256]),
                                            (0, [ord(c) for c in "apples"]), (1, [ord("x")])])
    score = metric.score_responses(Responses(log, INT64, size=2), ["oranges", "Running dogs."], Chars(), split)
    # gen_len: "run dog." (8) + "apples" (6); the clean-up drops the space before "."
    assert score.lines == [("{'rouge1': 50.0, 'rouge2': 50.0, 'rougeL': 50.0, 'rougeLsum': 50.0, "
                            "'gen_len': 14, 'gen_num': 2}")]
    assert score.duplicates == 1 and score.scored == 2 and "np." not in score.lines[0]
    assert score.notes == []
    int32 = write_log(tmp_path / "int32.json", [(0, [ord(c) for c in "apples"])], "<i4")
    responses = Responses(int32, ArrayCodec("int32"), size=2)
    assert metric.score_responses(responses, ["apples", "x"], Chars(), split).values["ROUGE1"] == 100.0
