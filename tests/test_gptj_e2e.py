"""`make gpt-j` end to end through the real LoadGen wheel on a tiny random GPT-J with known outputs."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import harness_env, run, sha256
from gptj_fixture import COUNT, gptj_fixture, labelled_manifest  # noqa: F401 - pytest fixture

from language.gptj import accuracy, metric
from language.llm import sentences

SETTINGS = {"OMP_NUM_THREADS": 1, "DEVICE": "cpu"}


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "gpt-j" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def expected_line(fixture, references) -> str:
    split = sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))
    return str(metric.evaluate(fixture["texts"], references, split))


def test_offline_batched_run_reproduces_batch_one_generation(gptj_fixture, tmp_path, capsys):  # noqa: F811
    references = gptj_fixture["texts"]  # the model's own outputs: every ROUGE is 100
    manifest = labelled_manifest(gptj_fixture, tmp_path / "labels", references)
    done = run(["make", "gpt-j"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, BATCH_SIZE=4, **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr  # GEN_LEN is a total over 13,368 samples
    line = expected_line(gptj_fixture, references)
    gen_len = sum(len(t) for t in sentences_joined(gptj_fixture))
    assert line == (f"{{'rouge1': 100.0, 'rouge2': 100.0, 'rougeL': 100.0, 'rougeLsum': 100.0, "
                    f"'gen_len': {gen_len}, 'gen_num': {COUNT}}}")
    assert line in done.stdout and "FAIL" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    log = run_dir / "mlperf_log_accuracy.json"
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    entries = {e["qsl_idx"]: bytes.fromhex(e["data"]) for e in json.loads(log.read_text())}
    assert entries == {i: o.astype("<i8").tobytes() for i, o in enumerate(gptj_fixture["outputs"])}
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict"] == "FAIL" and result["samples"]["scored"] == COUNT
    assert result["metrics"] == {"ROUGE1": 100.0, "ROUGE2": 100.0, "ROUGEL": 100.0, "ROUGELSUM": 100.0,
                                 "GEN_LEN": gen_len}
    passed = {(t["key"], t["metric"]): t["pass"] for t in result["targets"]}
    assert passed[("gptj-99", "ROUGE1")] and not passed[("gptj-99", "GEN_LEN")]

    assert accuracy.main(["--mlperf-accuracy-file", str(log), "--dataset-file", str(tmp_path / "labels" /
                          "cnn_eval.json"), "--model-path", str(gptj_fixture["folder"] / "model"),
                          "--punkt", str(gptj_fixture["folder"] / "punkt_tab.zip"), "--punkt-sha256", "",
                          "--workers", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["", "Results", "", line]


def sentences_joined(fixture) -> list[str]:
    split = sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))
    return ["\n".join(split(t.strip())) for t in fixture["texts"]]


def test_server_run_scores_against_the_dataset_references(gptj_fixture, tmp_path):  # noqa: F811
    references = [r["output"] for r in json.loads((gptj_fixture["folder"] / "cnn_eval.json").read_text())]
    manifest = labelled_manifest(gptj_fixture, tmp_path / "labels", references)
    done = run(["make", "gpt-j"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT - 1, BATCH_SIZE=2,
                                              SCENARIO="Server", **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr
    split = sentences.splitter(sentences.unpack(gptj_fixture["folder"] / "punkt_tab.zip", None))
    line = str(metric.evaluate(gptj_fixture["texts"][:COUNT - 1], references[:COUNT - 1], split))
    run_dir = only_run_dir(tmp_path / "logs", "Server")
    assert (run_dir / "accuracy.txt").read_text().splitlines()[0] == line
    result = json.loads((run_dir / "result.json").read_text())
    assert result["samples"]["scored"] == COUNT - 1 and result["samples"]["partial"] is True
    assert "partial: ROUGE over the 5 of 6 samples" in done.stdout


def test_missing_artifacts_name_their_sources(tmp_path):
    done = run(["make", "gpt-j"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0, done.stdout + done.stderr
    for text in ("cnn_eval.json", "download_cnndm.py", "QAZ2oM94MkFtbQx", "llama_index_core-0.14.25"):
        assert text in done.stderr, text
