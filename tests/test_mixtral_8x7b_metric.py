"""Mixtral scoring pieces on hand-made inputs: GSM8K answers, MBXP programs, the stop rule, the pickle check."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from language.mixtral_8x7b import dataset, generation, gsm8k, mbxp


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
    monkeypatch.setattr(mbxp, "available", lambda lang: lang == "python")
    result = mbxp.evaluate([python_problem("def sum_list(xs):\n    return sum(xs)\n"),
                            dict(python_problem("x"), lang="ruby")], workers=1)
    assert result["mbxp"] == 100.0 and result["skipped"] == {"ruby": 1}


def test_mbxp_stop_rule_forces_eos_only_on_flagged_rows():
    torch = pytest.importorskip("torch")
    stop = list(generation.MBXP_STOP_IDS)
    ids = torch.tensor([[5] + stop, [5] + stop, [13940, 28832, 13, 13, 13]])
    scores = torch.zeros(3, 30000)
    out = generation.stop_processor([True, False, True])(ids, scores)
    assert out[0].argmax() == 2 and torch.isinf(out[0]).sum() == 29999 and out[0, 2] == 0
    assert torch.equal(out[1:], torch.zeros(2, 30000))


def test_short_outputs_are_padded_with_eos_to_two_tokens():
    assert generation.pad_short(np.array([7], dtype=np.int64)).tolist() == [7, 2]
    assert generation.pad_short(np.array([7, 8, 2], dtype=np.int64)).tolist() == [7, 8, 2]


def test_a_pickle_is_read_only_when_its_hash_matches(tmp_path):
    path = tmp_path / "data.pkl"
    path.write_bytes(b"not really a pickle")
    with pytest.raises(ValueError, match="without a known checksum"):
        dataset.read_verified_pickle(path, None)
    with pytest.raises(ValueError, match="not unpickled"):
        dataset.read_verified_pickle(path, "0" * 64)


def test_toolchains_are_detected_with_which():
    assert mbxp.available("python") == bool(shutil.which("python3"))
    assert not mbxp.available("klingon")
