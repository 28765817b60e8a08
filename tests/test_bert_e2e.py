"""`make bert` end to end through the real LoadGen wheel, on a generated fixture with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bert_fixture import bert_fixture, labelled_manifest  # noqa: F401 - pytest fixture
from conftest import harness_env, run, sha256

from language.bert import accuracy
from language.bert.squad_eval import normalize_answer


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "bert" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def line(exact: float, f1: float) -> str:
    return json.dumps({"exact_match": exact, "f1": f1})


def test_offline_full_run_passes_and_the_accuracy_command_agrees(bert_fixture, tmp_path, capsys):  # noqa: F811
    manifest = labelled_manifest(bert_fixture, tmp_path / "labels", correct=set(bert_fixture["qids"]))
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=bert_fixture["count"], BATCH_SIZE=5, DEVICE="cpu")
    done = run(["make", "bert"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = line(100.0, 100.0)
    assert expected in done.stdout and "PASS" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [
        expected, f"hash={sha256(run_dir / 'mlperf_log_accuracy.json')}"]
    predicted = json.loads((run_dir / "predictions.json").read_text())
    assert predicted == bert_fixture["answers"]  # LoadGen, batching and the codec change nothing
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "PASS" and result["metrics"] == {"F1": 100.0, "exact_match": 100.0}
    assert [(t["key"], t["pass"]) for t in result["targets"]] == [("bert-99", True), ("bert-99.9", True)]
    assert result["samples"]["scored"] == bert_fixture["count"] == result["samples"]["asked"]
    assert result["details"]["questions_scored"] == len(bert_fixture["qids"])
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(bert_fixture["count"]))
    assert all(len(e["data"]) == 384 * 2 * 4 * 2 for e in entries)  # (384, 2) float32, as hex

    assert accuracy.main(["--vocab_file", str(bert_fixture["folder"] / "vocab.txt"),
                          "--val_data", str(tmp_path / "labels" / "dev-v1.1.json"),
                          "--log_file", str(run_dir / "mlperf_log_accuracy.json"),
                          "--out_file", str(tmp_path / "out" / "predictions.json")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == expected
    assert json.loads((tmp_path / "out" / "predictions.json").read_text()) == predicted


def test_multistream_partial_run_scores_only_whole_questions(bert_fixture, tmp_path):  # noqa: F811
    # One feature short: the last question (several features, long context) is cut and left out.
    qids, answers = bert_fixture["qids"], bert_fixture["answers"]
    scored = qids[:-1]
    countable = [q for q in scored if normalize_answer(answers[q])]  # EM and F1 both 1 on these
    correct = set(countable[: len(countable) * 3 // 4])
    manifest = labelled_manifest(bert_fixture, tmp_path / "labels", correct=correct)
    count = bert_fixture["count"] - 1
    env = harness_env(tmp_path, MANIFEST=manifest, N_COUNT=count, SCENARIO="MultiStream", BATCH_SIZE=3,
                      DEVICE="cpu")
    done = run(["make", "bert"], env)
    assert done.returncode != 0, done.stdout + done.stderr
    share = 100.0 * len(correct) / len(scored)
    expected = line(share, share)
    assert expected in done.stdout and "FAIL" in done.stdout
    assert f"over the {len(scored)} of {len(qids)} questions whose features all ran" in done.stdout
    assert "1 question(s) with only some features in the log left out" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "MultiStream")
    assert (run_dir / "accuracy.txt").read_text().splitlines()[0] == expected
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict_on_slice"] == "FAIL" and result["samples"]["partial"] is True
    assert result["details"] == {"questions_scored": len(scored), "questions_total": len(qids),
                                 "questions_cut": 1, "features_in_log": count}
    assert result["samples"]["scored"] < count  # the cut question's features are not scored
    assert result["samples"]["duplicates"] == -count % 8  # MultiStream pads queries of 8
    assert set(json.loads((run_dir / "predictions.json").read_text())) == set(scored)


def test_missing_artifacts_name_their_sources(tmp_path):
    done = run(["make", "bert"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0 and "Error 3" in done.stderr, done.stdout + done.stderr
    for text in ("dev-v1.1.json", "3733896", "model.pytorch", "vocab.txt", "bert_config.json"):
        assert text in done.stderr, text
    assert not (tmp_path / "logs").exists()


def test_a_checkpoint_must_hold_every_weight_but_may_carry_the_unused_pooler(bert_fixture, tmp_path):  # noqa: F811
    import torch

    from language.bert import model

    folder = bert_fixture["folder"]
    state = torch.load(folder / "model.pytorch", weights_only=True)
    extra = {**state, "bert.pooler.dense.weight": torch.zeros(64, 64),
             "bert.embeddings.position_ids": torch.arange(512)}
    torch.save(extra, tmp_path / "with_pooler.pt")
    loaded = model.load(folder / "bert_config.json", tmp_path / "with_pooler.pt")
    assert torch.equal(loaded.qa_outputs.weight, state["qa_outputs.weight"])
    del extra["qa_outputs.weight"]
    torch.save(extra, tmp_path / "incomplete.pt")
    with pytest.raises(ValueError, match=r"missing \['qa_outputs.weight'\]"):
        model.load(folder / "bert_config.json", tmp_path / "incomplete.pt")
