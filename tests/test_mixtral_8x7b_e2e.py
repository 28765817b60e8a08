"""`make mixtral` end to end through the real LoadGen wheel on a tiny random Mixtral."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import harness_env, run, sha256
from mixtral_8x7b_fixture import COUNT, labelled_manifest, mixtral_fixture  # noqa: F401 - pytest fixture

from language.llm import sentences
from language.mixtral_8x7b import accuracy, gsm8k, metric

SETTINGS = {"OMP_NUM_THREADS": 1, "DEVICE": "cpu"}


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "mixtral" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def splitter(fixture):
    return sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))


def self_labels(fixture) -> dict[int, str]:
    """OpenOrca references = the model's own text (ROUGE 100); GSM8K answers = the number it gave."""
    labels = {}
    for i, kind in enumerate(fixture["frame"]["dataset"]):
        if kind == "OpenOrca":
            labels[i] = fixture["texts"][i]
        elif kind == "GSM8K":
            labels[i] = gsm8k.extract_answer(fixture["texts"][i]) or "-1"
    return labels


def test_offline_run_scores_all_three_datasets(mixtral_fixture, tmp_path, capsys):  # noqa: F811
    labels = self_labels(mixtral_fixture)
    manifest, data = labelled_manifest(mixtral_fixture, tmp_path / "labels", labels)
    done = run(["make", "mixtral"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, BATCH_SIZE=COUNT,
                                                WORKERS=2, **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr  # random weights: 1024 tokens, over the upper limit
    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    log = run_dir / "mlperf_log_accuracy.json"
    entries = json.loads(log.read_text())
    outputs = mixtral_fixture["outputs"]
    assert {e["qsl_idx"]: bytes.fromhex(e["data"]) for e in entries} == {
        i: o.astype("<i8").tobytes() for i, o in outputs.items()}
    assert all(e["token_count"] == len(outputs[e["qsl_idx"]]) for e in entries)

    frame = mixtral_fixture["frame"].copy()
    for i, label in labels.items():
        frame.loc[i, "gt_output"] = label
    result, _ = metric.evaluate(entries, frame, mixtral_fixture["tokenizer"], splitter(mixtral_fixture))
    tokens = sum(len(o) for o in outputs.values())
    assert result["rouge1"] == 100.0 and result["rougeL"] == 100.0
    assert result["gen_num"] == COUNT and result["gen_tok_len"] == tokens
    assert result["tokens_per_sample"] == round(tokens / COUNT, 1)
    line = str(result)
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    metrics = json.loads((run_dir / "result.json").read_text())
    assert metrics["verdict"] == "FAIL" and metrics["samples"]["scored"] == COUNT
    assert metrics["metrics"]["ROUGE1"] == 100.0 and metrics["metrics"]["TOKENS_PER_SAMPLE"] == result[
        "tokens_per_sample"]
    rows = {t["metric"]: t for t in metrics["targets"]}
    assert rows["ROUGE1"]["pass"] and rows["TOKENS_PER_SAMPLE"]["upper_limit"] == 145.9 * 1.1
    assert rows["TOKENS_PER_SAMPLE"]["pass"] is (131.31 <= result["tokens_per_sample"] <= 160.49)

    assert accuracy.main(["--checkpoint-path", str(mixtral_fixture["folder"] / "model"),
                          "--mlperf-accuracy-file", str(log), "--dataset-file", str(data),
                          "--dataset-sha256", sha256(data), "--n_workers", "2",
                          "--punkt", str(mixtral_fixture["folder"] / "punkt_tab.zip"), "--punkt-sha256", ""]) == 0
    assert capsys.readouterr().out.splitlines() == ["", "Results", "", line]


def test_server_run_reports_first_tokens_and_scores_a_partial_log(mixtral_fixture, tmp_path):  # noqa: F811
    manifest, _ = labelled_manifest(mixtral_fixture, tmp_path / "labels", {})
    done = run(["make", "mixtral"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=2, BATCH_SIZE=1,
                                                SCENARIO="Server", **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr
    run_dir = only_run_dir(tmp_path / "logs", "Server")
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == [0, 1]
    for e in entries:
        data = bytes.fromhex(e["data"])
        assert e["token_count"] == len(data) // 8 >= 2
        assert bytes.fromhex(e["token_data"]) == data[:8]  # the first token, sent before completion
    result, _ = metric.evaluate(entries, mixtral_fixture["frame"], mixtral_fixture["tokenizer"],
                                splitter(mixtral_fixture))
    assert (run_dir / "accuracy.txt").read_text().splitlines()[0] == str(result)
    metrics = json.loads((run_dir / "result.json").read_text())
    assert metrics["samples"]["scored"] == 2 and metrics["samples"]["partial"] is True
    assert "partial: scored 2 of 6 samples" in done.stdout + done.stderr


def test_missing_artifacts_name_their_sources(tmp_path):
    done = run(["make", "mixtral"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0, done.stdout + done.stderr
    for text in ("2024.06.06_mixtral_15k_v4.pkl", "a60832cb6c88d5cb6e507680d0e9996fbad77050",
                 "llama_index_core-0.14.25"):
        assert text in done.stderr, text
