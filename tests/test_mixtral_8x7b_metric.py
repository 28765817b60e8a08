"""Mixtral scoring pieces on hand-made inputs: GSM8K answers, MBXP programs, the stop rule, the pickle check."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from harness.codecs import ArrayCodec, Responses
from language.llm import sentences
from language.llm.generation import pad_short
from language.mixtral_8x7b import backend, gsm8k, mbxp, metric


@pytest.mark.parametrize("text, answer", [
    ("She has 3 apples and buys 5 more, so 8 in total. The answer is 8.", "8"),
    ("Step 1: 2,500 + 100 = 2,600. The answer is 2,600 dollars, not 12.", "2600"),
    ("The answer is 4. Then again the answer is wrong. The answer is -7.5 and 3", "-7.5"),
    ("We computed 17 and then 42. The answer is unknown", "42"),  # no number after: last of the text
    ("The answer is unknown, but we computed 17 and then 42", "17"),
    ("So 12 eggs.\nQ: how many eggs are 99", "12"),  # a new question is cut off
    ("no numbers at all", ""),
])
def test_gsm8k_answer_extraction(text, answer):
    assert gsm8k.extract_answer(text) == answer


def test_gsm8k_accuracy_is_an_unrounded_percentage():
    generations = ["The answer is 8.", "The answer is 2,600.", "it is 3", "nothing", "The answer is 1.0"]
    assert gsm8k.accuracy(generations, ["8", "2600", "4", "5", "1"]) == 100.0 * 3 / 5
    assert gsm8k.accuracy(["The answer is 7"] * 3, ["7", "7", "8"]) == 66.66666666666667
    with pytest.raises(ZeroDivisionError):
        gsm8k.accuracy([], [])


PY_TEST = "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n    assert candidate([]) == 0\n"


def python_problem(response: str) -> dict:
    return {"lang": "python", "entry_point": "sum_list", "test_code": PY_TEST, "response": response}


def test_mbxp_program_follows_the_reference_harness():
    response = "  def sum\\_list(xs):\n    return sum(xs)\n```\nExplanation: ```more```"
    assert mbxp.program_of(python_problem(response)) == (
        "def sum_list(xs):\n    return sum(xs)\n" + "\n" + PY_TEST + "\n" + "check(sum_list)")


def test_mbxp_python_pass_fail_and_timeout():
    passed = python_problem("def sum_list(xs):\n    return sum(xs)\n```")
    wrong = python_problem("def sum_list(xs):\n    return len(xs)\n")
    loops = python_problem("def sum_list(xs):\n    while True:\n        pass\n")
    assert mbxp.check(passed, timeout=10) == (True, "passed")
    ok, text = mbxp.check(wrong, timeout=10)
    assert not ok and "AssertionError" in text
    assert mbxp.check(loops, timeout=1) == (False, "timed out")
    result = mbxp.evaluate([passed, wrong, loops, dict(passed, lang="scala")], workers=3, timeout=1)
    assert result["mbxp"] == 100 / 3 and result["counts"] == {"python": 3} and result["ignored"] == 1


def test_mbxp_memory_limit_stops_a_hungry_program():
    hungry = python_problem("def sum_list(xs):\n    return len(bytearray(8 << 30))\n")
    ok, text = mbxp.check(hungry, timeout=10)
    assert not ok and "MemoryError" in text


@pytest.mark.skipif(not mbxp.available("javascript"), reason="node is not installed")
def test_mbxp_javascript():
    test = "const assert = require('node:assert');\nassert.deepEqual(sumList([1, 2, 3]), 6);\n"
    good = {"lang": "javascript", "entry_point": "sumList", "test_code": test,
            "response": "function sumList(xs) { return xs.reduce((a, b) => a + b, 0); }\n```"}
    assert mbxp.check(good, timeout=10) == (True, "passed")
    assert not mbxp.check(dict(good, response="function sumList(xs) { return 0; }"), timeout=10)[0]


@pytest.mark.skipif(not mbxp.available("cpp"), reason="g++ is not installed")
def test_mbxp_cpp_compile_error_fails():
    bad = {"lang": "cpp", "entry_point": "f", "test_code": "int main() { return f(); }", "response": "int f() {"}
    ok, text = mbxp.check(bad, timeout=20)
    assert not ok and text.startswith("compile:")


def test_skipped_languages_are_reported(monkeypatch):
    monkeypatch.setattr(mbxp, "available", lambda lang, mode="bwrap": lang == "python")
    result = mbxp.evaluate([python_problem("def sum_list(xs):\n    return sum(xs)\n"),
                            dict(python_problem("x"), lang="ruby")], workers=1)
    assert result["mbxp"] == 100.0 and result["skipped"] == {"ruby": 1}


def test_mbxp_stop_rule_forces_eos_only_on_flagged_rows():
    torch = pytest.importorskip("torch")
    stop = list(backend.MBXP_STOP_IDS)
    ids = torch.tensor([[5] + stop, [5] + stop, [13940, 28832, 13, 13, 13]])
    scores = torch.zeros(3, 30000)
    out = backend.stop_processor([True, False, True])(ids, scores)
    assert out[0].argmax() == 2 and torch.isinf(out[0]).sum() == 29999 and out[0, 2] == 0
    assert torch.equal(out[1:], torch.zeros(2, 30000))
    assert backend.mbxp_stop([False, False]) == []  # the engine's hook: no processor without MBXP rows
    (processor,) = backend.mbxp_stop([False, True])
    assert torch.equal(processor(ids[:2], torch.zeros(2, 30000))[1].argmax(), torch.tensor(2))


def test_the_shared_engine_runs_the_stop_rule_on_mbxp_rows_only():
    """A model that would go on forever after a code block: the flagged row stops there with EOS."""
    torch = pytest.importorskip("torch")
    from language.llm.generation import Engine

    stop = list(backend.MBXP_STOP_IDS)
    script = stop + [7, 8, 9]  # what the model says after the prompt, then 9s until max_new_tokens

    class Scripted(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(30000, 1)
            self.generation_config = type("G", (), {"eos_token_id": backend.EOS_ID})()

        def get_input_embeddings(self):
            return self.embed

        def generate(self, input_ids, attention_mask, pad_token_id, logits_processor=(), max_new_tokens=8, **_):
            rows = input_ids
            for step in range(max_new_tokens):
                scores = torch.full((len(rows), 30000), -1.0)
                scores[:, script[min(step, len(script) - 1)]] = 1.0
                for process in logits_processor:
                    scores = process(rows, scores)
                done = (rows[:, input_ids.shape[1]:] == backend.EOS_ID).any(dim=1)
                rows = torch.cat([rows, torch.where(done, pad_token_id, scores.argmax(1))[:, None]], dim=1)
            return rows

    engine = Engine(Scripted(), {"max_new_tokens": 8}, backend.EOS_ID, backend.mbxp_stop)
    prompts = [np.array([1, 5], np.int64), np.array([1, 6], np.int64)]
    mbxp_row, other = engine.generate(prompts, [True, False])
    assert mbxp_row.tolist() == stop + [backend.EOS_ID]
    assert other.tolist() == stop + [7, 8, 9, 9]
    assert [o.tolist() for o in engine.generate(prompts)] == [other.tolist()] * 2  # no flags: no rule


def test_short_outputs_are_padded_with_eos_to_two_tokens():
    assert pad_short(np.array([7], dtype=np.int64), backend.EOS_ID).tolist() == [7, 2]
    assert pad_short(np.array([7, 8, 2], dtype=np.int64), backend.EOS_ID).tolist() == [7, 8, 2]


def test_gen_num_counts_duplicates_and_float_logs_are_read_as_ids(tmp_path):
    pd = pytest.importorskip("pandas")

    class Chars:  # token id = character code
        def batch_decode(self, rows):
            return ["".join(chr(i) for i in row) for row in rows]

    frame = pd.DataFrame({"dataset": ["GSM8K", "OpenOrca", "GSM8K"], "id": ["train.0", "flan.1", "train.2"],
                          "gt_output": ["8", "Dogs run.", "3"]})
    punkt = tmp_path / "punkt_tab.zip"
    sentences.write_blank_punkt(punkt)
    split = sentences.splitter(sentences.unpack(punkt, None))
    rows = [(1, "dogs run"), (0, "The answer is 8"), (1, "ignored"), (0, "ignored too")]
    log = tmp_path / "log.json"
    log.write_text(json.dumps([{"seq_id": n, "qsl_idx": i, "data": np.array([ord(c) for c in text], "<f4")
                                .tobytes().hex()} for n, (i, text) in enumerate(rows)]))
    score = metric.score_responses(Responses(log, ArrayCodec("float32"), size=3), frame, Chars(), split)
    # as the reference: 4 entries, first responses only: 8 + 15 tokens over 4 = 5.75 -> 5.8
    assert score.lines == [("{'rouge1': 100.0, 'rouge2': 100.0, 'rougeL': 100.0, 'rougeLsum': 100.0, 'gsm8k': 100.0, "
                            "'mbxp': 0, 'gen_len': 8, 'gen_num': 4, 'gen_tok_len': 23, 'tokens_per_sample': 5.8}")]
    assert score.scored == 2 and score.duplicates == 2 and score.notes == ["partial: scored 2 of 3 samples"]


def test_toolchains_are_detected_with_which():
    assert mbxp.available("python") == bool(shutil.which("python3"))
    assert not mbxp.available("klingon")
