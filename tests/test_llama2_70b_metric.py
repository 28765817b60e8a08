"""Llama-2-70B scoring on hand-made inputs: the EOS cut, tokens per sample, the upper limit, the pickle rule."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness import verdict
from harness.codecs import INT64, ArrayCodec, Responses
from harness.contract import Run
from language.llama2_70b import backend, dataset, metric
from language.llama2_70b.benchmark import BENCHMARK
from language.llm import command, sentences
from language.llm.generation import pad_short


def decoded(values, dtype: str) -> np.ndarray:
    """``values`` logged as ``dtype`` and decoded by the codec of upstream's --dtype flag."""
    codec = ArrayCodec(command.LOG_DTYPES[dtype])
    return codec.decode(codec.encode(values))


def test_token_ids_stop_before_the_first_eos_and_read_each_dtype():
    padded = np.array([5, 6, 7, 2, 2, 2], "<i8")  # a batch row padded with EOS, as the reference's
    assert metric.token_ids(decoded(padded, "int64")) == [5, 6, 7]
    assert metric.token_ids(decoded([5, 6], "int64")) == [5, 6]  # ran to max_new_tokens: no EOS
    assert metric.token_ids(decoded([2, 9], "int64")) == []
    assert metric.token_ids(decoded([5, 2, 3], "int32")) == [5]
    assert metric.token_ids(decoded([5, 2], "float")) == [5]
    # the reference's int32 reading of an int64 log would see [5, 0, 6, 0, 7, 0, 2, 0, ...]
    assert metric.token_ids(ArrayCodec("int32").decode(padded.tobytes())) == [5, 0, 6, 0, 7, 0]


def test_tokens_per_sample_of_the_reference_run():
    assert 7236312 / 24576 == 294.4462890625
    assert metric.tokens_per_sample(7236312, 24576) == 294.4


def test_targets_and_upper_limit_as_the_checker():
    targets = {key: {t.metric: t for t in ts} for key, ts in BENCHMARK.targets.items()}
    tps = targets["llama2-70b-99"]["TOKENS_PER_SAMPLE"]
    assert tps.threshold == pytest.approx(265.005) and tps.upper_limit == pytest.approx(323.895)
    assert targets["llama2-70b-99.9"]["TOKENS_PER_SAMPLE"].upper_limit == pytest.approx(323.895)
    assert [t.threshold for t in BENCHMARK.targets["llama2-70b-99"][:3]] == pytest.approx(
        [43.986888, 21.814848, 28.330038])
    assert [t.threshold for t in BENCHMARK.targets["llama2-70b-99.9"][:3]] == pytest.approx(
        [44.3867688, 22.0131648, 28.5875838])
    good = {"ROUGE1": 44.4312, "ROUGE2": 22.0352, "ROUGEL": 28.6162}

    def passes(value):
        rows = verdict.judge(BENCHMARK, {**good, "TOKENS_PER_SAMPLE": value})
        return verdict.overall(BENCHMARK, rows)

    assert passes(294.4) and passes(265.1) and passes(323.8)
    assert not passes(265.0) and not passes(323.9)  # too short, too long (e.g. EOS padding counted)


def test_short_outputs_are_padded_with_eos_for_loadgen():
    assert pad_short(np.array([2], np.int64), backend.EOS).tolist() == [2, 2]
    assert pad_short(np.array([], np.int64), backend.EOS).tolist() == [2, 2]
    assert pad_short(np.array([7, 2], np.int64), backend.EOS).tolist() == [7, 2]
    assert metric.token_ids(np.array([2, 2], np.int64)) == []  # scored as the empty answer it was
    assert backend.GENERATION == {"early_stopping": True, "max_new_tokens": 1024, "min_new_tokens": 1,
                                  "num_beams": 1, "do_sample": False}


def run_over(pickle, digests: dict) -> Run:
    """A run whose dataset artifact is ``pickle`` with these verified digests."""
    from harness.artifacts import Resolved

    return Run(BENCHMARK, None, {"dataset": Resolved("dataset", pickle, digests)}, range(0))


def test_a_pickle_is_hashed_again_right_before_it_is_read(tmp_path):
    path = tmp_path / "open_orca.pkl"
    path.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="not unpickled"):  # the verified checksum no longer matches
        dataset.OpenOrca(run_over(path, {"sha256": "0" * 64}))


def test_result_line_dedup_and_counts(tmp_path):
    class Chars:  # token id = character code; EOS 2 would be skipped as a special token
        def batch_decode(self, ids):
            return ["".join(chr(i) for i in row if i != 2) for row in ids]

    zipped = tmp_path / "punkt_tab.zip"
    sentences.write_blank_punkt(zipped)
    split = sentences.splitter(sentences.unpack(zipped, None))

    def hexed(text, pad=0):
        return np.array([ord(c) for c in text] + [2] * pad, "<i8").tobytes().hex().upper()

    log = tmp_path / "log.json"
    log.write_text(json.dumps([{"seq_id": 0, "qsl_idx": 1, "data": hexed(" run dog.", pad=3)},
                               {"seq_id": 1, "qsl_idx": 0, "data": hexed("apples")},
                               {"seq_id": 2, "qsl_idx": 1, "data": hexed("x")}]))
    score = metric.score_responses(Responses(log, INT64, size=2), ["oranges", "Running dogs."], Chars(), split)
    # tokens: 9 + 6 (EOS and padding not counted) over 2 samples = 7.5; gen_len 8 + 6
    assert score.lines == [("{'rouge1': 50.0, 'rouge2': 50.0, 'rougeL': 50.0, 'rougeLsum': 50.0, 'gen_len': 14, "
                            "'gen_num': 2, 'gen_tok_len': 15, 'tokens_per_sample': 7.5}")]
    assert score.values["TOKENS_PER_SAMPLE"] == 7.5 and score.duplicates == 1 and score.scored == 2
    assert score.notes == [] and "np." not in score.lines[0]


# pd.DataFrame({"id": ["cot.1", "niv.2"], "output": ["Paris is the capital.", "Hallo."],
#               "tok_input": [[1, 1, 5, 6], [1, 1, 7]], "tok_input_length": [4, 3]}).to_pickle(...)
# written by pandas 1.5.3 with numpy 1.26.4 (the reference's environment era)
PANDAS_1_5_PICKLE = (
    "gAWVWAMAAAAAAACMEXBhbmRhcy5jb3JlLmZyYW1llIwJRGF0YUZyYW1llJOUKYGUfZQojARfbWdylIwecGFuZGFzLmNvcmUu"
    "aW50ZXJuYWxzLm1hbmFnZXJzlIwMQmxvY2tNYW5hZ2VylJOUjBZwYW5kYXMuX2xpYnMuaW50ZXJuYWxzlIwPX3VucGlja2xl"
    "X2Jsb2NrlJOUjBVudW1weS5jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsA"
    "hZRDAWKUh5RSlChLAUsDSwKGlGgPjAVkdHlwZZSTlIwCTziUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LP3SUYoldlCiM"
    "BWNvdC4xlIwFbml2LjKUjBVQYXJpcyBpcyB0aGUgY2FwaXRhbC6UjAZIYWxsby6UXZQoSwFLAUsFSwZlXZQoSwFLAUsHZWV0"
    "lGKMCGJ1aWx0aW5zlIwFc2xpY2WUk5RLAEsDSwGHlFKUSwKHlFKUaAuMEm51bXB5LmNvcmUubnVtZXJpY5SMC19mcm9tYnVm"
    "ZmVylJOUKJYQAAAAAAAAAAQAAAAAAAAAAwAAAAAAAACUaBiMAmk4lImIh5RSlChLA4wBPJROTk5K/////0r/////SwB0lGJL"
    "AUsChpSMAUOUdJRSlGgoSwNLBEsBh5RSlEsCh5RSlIaUXZQojBhwYW5kYXMuY29yZS5pbmRleGVzLmJhc2WUjApfbmV3X0lu"
    "ZGV4lJOUaECMBUluZGV4lJOUfZQojARkYXRhlGgOaBFLAIWUaBOHlFKUKEsBSwSFlGgbiV2UKIwCaWSUjAZvdXRwdXSUjAl0"
    "b2tfaW5wdXSUjBB0b2tfaW5wdXRfbGVuZ3RolGV0lGKMBG5hbWWUTnWGlFKUaEKMGXBhbmRhcy5jb3JlLmluZGV4ZXMucmFu"
    "Z2WUjApSYW5nZUluZGV4lJOUfZQoaFFOjAVzdGFydJRLAIwEc3RvcJRLAowEc3RlcJRLAXWGlFKUZYaUUpSMBF90eXCUjAlk"
    "YXRhZnJhbWWUjAlfbWV0YWRhdGGUXZSMBWF0dHJzlH2UjAZfZmxhZ3OUfZSMF2FsbG93c19kdXBsaWNhdGVfbGFiZWxzlIhz"
    "dWIu"
)
PANDAS_1_5_SHA256 = "1752de219d8805aa7d44e917bc874d322980dc2abbaf5ed9aa66df078f20d73e"


def test_a_pickle_written_by_pandas_1_5_loads(tmp_path):
    import base64

    path = tmp_path / "old.pkl"
    path.write_bytes(base64.b64decode("".join(PANDAS_1_5_PICKLE)))
    qsl = dataset.OpenOrca(run_over(path, {"sha256": PANDAS_1_5_SHA256}))
    assert qsl.size == 2 and qsl.targets == ["Paris is the capital.", "Hallo."]
    qsl.load([1])
    assert qsl.loaded() == [1] and qsl.prompt_ids(1).tolist() == [1, 1, 7] and qsl.prompt_ids(1).dtype == np.int64
    assert qsl.prompt_ids(0).tolist() == [1, 1, 5, 6]
    qsl.unload([0, 1])
    assert qsl.loaded() == []
