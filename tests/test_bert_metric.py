"""SQuAD v1.1 EM/F1, answer selection, features and the logits codec on hand-made inputs."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest

from harness.codecs import Responses
from language.bert import codec, features, metric, predictions, squad_eval, tokenization
from language.bert.features import Feature
from language.bert.squad import Example, split_words


def test_worked_examples_in_the_docstrings_hold():
    for module in (squad_eval, predictions, tokenization):
        assert doctest.testmod(module).failed == 0, module.__name__


# ---- official EM and F1 ------------------------------------------------------------------------

def test_normalisation_drops_case_punctuation_articles_and_extra_spaces():
    assert squad_eval.normalize_answer("The  Cat's, a HAT!") == "cats hat"
    assert squad_eval.normalize_answer("theatre and an anthem") == "theatre and anthem"  # whole words only


def test_f1_and_exact_match_by_hand():
    # "cat sat" vs "cat sat down": 2 common, precision 1, recall 2/3, F1 0.8
    assert squad_eval.f1_score("the cat sat", "a cat sat down") == pytest.approx(0.8)
    assert squad_eval.f1_score("dog", "cat") == 0
    assert squad_eval.f1_score("cat cat", "cat") == pytest.approx(2 / 3)  # counts, not sets
    assert squad_eval.exact_match_score("The Eiffel Tower!", "eiffel tower")
    assert not squad_eval.exact_match_score("Eiffel", "eiffel tower")


def test_each_question_takes_its_best_reference_and_a_missing_answer_scores_zero():
    questions = [("q1", ("Paris", "the city of Paris")), ("q2", ("42",)), ("q3", ("blue",)), ("q4", ("x",))]
    answers = {"q1": "city of Paris", "q2": "42", "q3": "dark blue"}  # q4 unanswered
    result = squad_eval.evaluate(questions, answers)
    assert result == {"exact_match": 50.0, "f1": 100.0 * (1 + 1 + 2 / 3) / 4}
    assert squad_eval.result_line(result) == '{"exact_match": 50.0, "f1": 66.66666666666666}'


def test_a_partial_set_divides_by_the_questions_scored():
    questions = [("a", ("yes",)), ("b", ("no",)), ("c", ("maybe",))]
    answers = {"a": "yes", "b": "yes", "c": "maybe"}
    # the reference with --max_examples 2 would score only "a" and divide by 2 (50.0)
    assert squad_eval.evaluate(questions[:2], answers) == {"exact_match": 50.0, "f1": 50.0}
    assert squad_eval.evaluate(questions, answers)["exact_match"] == pytest.approx(200 / 3)


# ---- answer selection --------------------------------------------------------------------------

WORDS = ("Steve", "Smith's", "house", "is", "big.")
PIECES = ("steve", "smith", "'", "s", "house", "is", "big", ".")
PIECE_WORD = (0, 1, 1, 1, 2, 3, 4, 4)


def feature(example_index=0, max_context=None, query=("who", "?")) -> Feature:
    head = ("[CLS]", *query, "[SEP]")
    return Feature(example_index, (*head, *PIECES, "[SEP]"), len(head), PIECE_WORD,
                   tuple(max_context or [True] * len(PIECES)))


def logits(peaks: dict[int, float], base: float = 0.0) -> np.ndarray:
    out = np.full(384, base)
    for position, value in peaks.items():
        out[position] = value
    return out


def test_top_positions_break_ties_by_position():
    assert predictions.top_positions(np.array([1.0, 3.0, 3.0, 2.0, -0.0, 0.0]), 5).tolist() == [1, 2, 3, 0, 4]


def test_the_best_span_is_projected_back_onto_the_original_words():
    example = Example("q", "who?", WORDS, ("Steve Smith",))
    f = feature()  # window starts at position 4: steve(4) smith(5) '(6) s(7) house(8) ...
    answer = predictions.predict(example, [(f, logits({4: 5.0}), logits({5: 5.0}))])
    assert answer == "Steve Smith"  # not "Steve Smith's": the heuristic trims the possessive
    assert predictions.predict(example, [(f, logits({8: 5.0}), logits({11: 5.0}))]) == "house is big."


def test_candidates_obey_the_reference_rules():
    f = feature(max_context=[True, False] + [True] * 6)
    # start 5 lacks max context, so the next best start (4) is used with the best end (6)
    assert predictions.best_in_feature(f, logits({5: 9.0, 4: 2.0}), logits({6: 4.0}))[1:] == (4, 6)
    # an end before the start, or a start in the query, is never chosen
    assert predictions.best_in_feature(f, logits({8: 9.0, 1: 9.5}), logits({7: 9.0, 9: 1.0}))[1:] == (8, 9)
    # no valid pair at all: every high start lies after every high end
    start = np.full(384, -50.0)
    start[:] = np.where(np.arange(384) >= 200, 10.0, -50.0)
    assert predictions.best_in_feature(f, start, logits({4: 3.0}, base=-50.0)) is None
    assert predictions.predict(Example("q", "?", WORDS, ("x",)), [(f, start, logits({4: 3.0}, -50.0))]) == "empty"


def test_spans_longer_than_30_pieces_are_not_answers():
    pieces = tuple(f"w{i}" for i in range(40))
    f = Feature(0, ("[CLS]", "q", "[SEP]", *pieces, "[SEP]"), 3, tuple(range(40)), (True,) * 40)
    assert predictions.best_in_feature(f, logits({3: 5.0}), logits({33: 5.0, 32: 1.0}))[1:] == (3, 32)


def test_an_equal_score_in_a_later_feature_does_not_replace_the_first():
    example = Example("q", "who?", WORDS, ("house",))
    first, second = feature(), feature()
    chosen = predictions.predict(example, [(first, logits({8: 3.0}), logits({8: 3.0})),
                                           (second, logits({4: 3.0}), logits({4: 3.0}))])
    assert chosen == "house"


def test_projection_falls_back_to_the_original_text():
    assert predictions.project("steve smith", "Steve Smith's") == "Steve Smith"
    assert predictions.project("nowhere", "Steve Smith's") == "Steve Smith's"
    assert predictions.project("cafe", "Café") == "Café"
    assert predictions.project("", "Anything") == "Anything"


def test_basic_tokenizer_matches_transformers_on_ordinary_text():
    try:
        from transformers.models.bert.tokenization_bert_legacy import BasicTokenizer
    except ImportError:  # transformers 4.x
        from transformers.models.bert.tokenization_bert import BasicTokenizer

    reference = BasicTokenizer(do_lower_case=True)
    for text in ("Steve Smith's Café (1895-1943).", "Zürich, naïve\tU.S. 42%\n", "東京 tower — “quoted”",
                 "a\u200bb\x00c\ufffd", "don't   stop", ""):
        assert tokenization.basic_tokenize(text) == reference.tokenize(text), text
    assert tokenization.basic_tokenize("[SEP] x [sep]") == ["[SEP]", "x", "[", "sep", "]"]


# ---- features ---------------------------------------------------------------------------------

class WhitespaceTokenizer:
    """Lower-cased whitespace tokens; ids by first appearance, [PAD] = 0."""

    def __init__(self):
        self.vocab = {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2}

    def tokenize(self, text):
        return text.lower().split()

    def convert_tokens_to_ids(self, tokens):
        return [self.vocab.setdefault(t, len(self.vocab)) for t in tokens]


def test_windows_advance_by_the_doc_stride_until_the_end():
    assert features.windows(500, 300) == [(0, 300), (128, 300), (256, 244)]
    assert features.windows(300, 300) == [(0, 300)]
    assert features.windows(0, 300) == []
    assert features.windows(10, 4) == [(0, 4), (4, 4), (8, 2)]


def test_max_context_prefers_the_centred_window_and_the_first_on_ties():
    spans = [(0, 4), (2, 4)]  # piece 2: min(2,1)+0.04 = 1.04 vs min(0,3)+0.04; piece 3: 0.04 vs 1.04
    assert features.best_windows(spans, 6) == [0, 0, 0, 1, 1, 1]
    assert features.best_windows([(0, 3), (1, 3)], 4) == [0, 0, 1, 1]  # piece 1: 1.03 twice -> first


def test_a_long_context_yields_several_features_with_padded_inputs():
    words = tuple(f"w{i}" for i in range(600))
    examples = [Example("q0", "What is it?", ("short", "context."), ("short",)),
                Example("q1", "Where?", words, ("w7",))]
    tok = WhitespaceTokenizer()
    feats = features.convert(examples, tok)
    assert [f.example_index for f in feats] == [0, 1, 1, 1]
    second = feats[1]
    assert second.tokens[:4] == ("[CLS]", "where?", "[SEP]", "w0") and second.doc_offset == 3
    assert len(second.word_index) == 384 - 1 - 3  # the window fills the sequence
    assert feats[2].word_index[0] == 128  # the stride
    assert second.word_at(3) == 0 and second.word_at(2) is None and second.word_at(3 + 380) is None
    arrays = features.input_arrays(feats, tok.convert_tokens_to_ids)
    assert arrays["input_ids"].shape == (4, 384) and arrays["input_ids"].dtype == np.int32
    first = arrays["input_ids"][0]
    assert first[:8].tolist() == tok.convert_tokens_to_ids(list(feats[0].tokens)) and not first[8:].any()
    assert arrays["input_mask"][0].tolist() == [1] * 8 + [0] * 376
    assert arrays["segment_ids"][0].tolist() == [0] * 5 + [1] * 3 + [0] * 376
    assert Feature.from_json(json.loads(json.dumps(second.to_json()))) == second


def test_contexts_split_on_the_reference_whitespace_only():
    assert split_words("a  b\tc\u202fd\u00a0e\n") == ("a", "b", "c", "d\u00a0e")


# ---- codec and scoring a log ------------------------------------------------------------------

def test_codec_round_trip_transposed_short_and_wrong_sizes():
    values = np.random.default_rng(0).normal(size=(384, 2)).astype(np.float32)
    data = codec.LOGITS.encode(values)
    start, end = codec.LOGITS.decode(data)
    assert start.dtype == np.float64 and np.array_equal(start, values[:, 0]) and np.array_equal(end, values[:, 1])
    transposed = codec.StartEndLogitsCodec("float32", transposed=True)
    start_t, end_t = transposed.decode(codec.LOGITS.encode(values.T))
    assert np.array_equal(start_t, start) and np.array_equal(end_t, end)
    short_start, _ = codec.StartEndLogitsCodec("float16").decode(values[:10].astype(np.float16).tobytes())
    assert np.array_equal(short_start[:10], values[:10, 0].astype(np.float16)) and (short_start[10:] == -10000).all()
    with pytest.raises(ValueError, match="more than 384"):
        codec.LOGITS.decode(np.zeros((400, 2), np.float32).tobytes())
    with pytest.raises(ValueError, match="not pairs"):
        codec.LOGITS.decode(b"\x00" * 6)


def entry(seq: int, idx: int, start: dict, end: dict) -> dict:
    pair = np.stack([logits(start, -5.0), logits(end, -5.0)], axis=-1).astype(np.float32)
    return {"seq_id": seq, "qsl_idx": idx, "data": pair.tobytes().hex().upper()}


def score_log(folder, entries, examples, feats, **kw):
    """Score ``entries`` written as a log, the way the accuracy command reads one."""
    log = folder / f"log{len(list(folder.iterdir()))}.json"
    log.write_text(json.dumps(entries))
    found, duplicates = metric.last_responses(Responses(log, codec.LOGITS, size=len(feats)))
    return metric.score_logits(found, examples, feats, duplicates=duplicates, **kw)


def three_questions():
    examples = [Example("a", "who?", WORDS, ("Steve Smith",)), Example("b", "what?", WORDS, ("house",)),
                Example("c", "is?", WORDS, ("big",))]
    feats = [feature(0), feature(1, max_context=[True] * 4 + [False] * 4), feature(1), feature(2)]
    return examples, feats


def test_a_partial_log_scores_only_questions_whose_features_all_ran(tmp_path):
    examples, feats = three_questions()
    # features 0..2 ran: question b has both of its features, c none; b's answer from feature 2
    entries = [entry(0, 0, {4: 5}, {5: 5}), entry(1, 1, {4: 1}, {4: 1}), entry(2, 2, {8: 6}, {8: 6})]
    score, answers = score_log(tmp_path, entries, examples, feats)
    assert answers == {"a": "Steve Smith", "b": "house"}
    assert score.lines == ['{"exact_match": 100.0, "f1": 100.0}'] and score.scored == 3
    assert score.notes == ["partial: EM and F1 over the 2 of 3 questions whose features all ran (3 features); "
                           "the official score needs all"]
    # only feature 1 of question b ran: b is cut, c was never reached
    score, answers = score_log(tmp_path, entries[:2], examples, feats)
    assert list(answers) == ["a"] and score.details["questions_cut"] == 1 and score.scored == 1
    assert score.notes[1] == "1 question(s) with only some features in the log left out (first: example 1)"


def test_a_full_log_with_a_repeat_uses_the_last_response_and_has_no_note(tmp_path):
    examples, feats = three_questions()
    entries = [entry(0, 0, {4: 5}, {5: 5}), entry(1, 1, {4: 1}, {4: 1}), entry(2, 2, {8: 6}, {8: 6}),
               entry(3, 3, {4: 5}, {5: 5}), entry(4, 3, {10: 5}, {10: 5})]  # c answered twice
    score, answers = score_log(tmp_path, entries, examples, feats)
    assert answers["c"] == "big" and score.duplicates == 1 and score.notes == []
    assert score.values == {"F1": 100.0, "exact_match": 100.0} and score.scored == 4
    limited, answers = score_log(tmp_path, entries, examples, feats, max_examples=1)
    assert list(answers) == ["a"] and limited.details["questions_scored"] == 1


def test_a_log_that_does_not_fit_the_dataset_is_a_clear_error(tmp_path):
    examples, feats = three_questions()
    with pytest.raises(ValueError, match="qsl_idx 9"):
        score_log(tmp_path, [entry(0, 9, {4: 1}, {4: 1})], examples, feats)
    with pytest.raises(ValueError, match="empty"):
        score_log(tmp_path, [], examples, feats)
