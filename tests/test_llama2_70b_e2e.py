"""`make llama2` end to end through the real LoadGen wheel on a tiny random Llama with known outputs."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from conftest import harness_env, run, sha256
from llama2_70b_fixture import COUNT, labelled_manifest, llama2_fixture  # noqa: F401 - pytest fixture

from language.llama2_70b import accuracy, metric
from language.llm import sentences

SETTINGS = {"OMP_NUM_THREADS": 1, "DEVICE": "cpu", "WORKERS": 1}


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "llama2" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def splitter(fixture):
    return sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))


def test_offline_batched_run_matches_batch_one_generation(llama2_fixture, tmp_path, capsys):  # noqa: F811
    references = llama2_fixture["texts"]  # the model's own answers: 100 unless a text has no word at all
    manifest = labelled_manifest(llama2_fixture, tmp_path / "labels", references)
    done = run(["make", "llama2"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, BATCH_SIZE=4, **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr  # a few tokens per sample: below 265.005
    tokens = llama2_fixture["tokens"]
    line = str(metric.evaluate(references, references, tokens, splitter(llama2_fixture)))
    expected = ast.literal_eval(line)
    assert line.endswith(f"'gen_num': {COUNT}, 'gen_tok_len': {tokens}, 'tokens_per_sample': "
                         f"{round(tokens / COUNT, 1)}}}")
    assert line in done.stdout and "FAIL" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    log = run_dir / "mlperf_log_accuracy.json"
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    entries = json.loads(log.read_text())
    assert {e["qsl_idx"]: bytes.fromhex(e["data"]) for e in entries} == {
        i: o.astype("<i8").tobytes() for i, o in enumerate(llama2_fixture["outputs"])}
    assert all(e["token_count"] == len(e["data"]) // 16 >= 2 for e in entries)  # n_tokens sent to LoadGen
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict"] == "FAIL" and result["samples"]["scored"] == COUNT
    assert result["metrics"] == {"ROUGE1": expected["rouge1"], "ROUGE2": expected["rouge2"],
                                 "ROUGEL": expected["rougeL"], "ROUGELSUM": expected["rougeLsum"],
                                 "TOKENS_PER_SAMPLE": round(tokens / COUNT, 1)}
    passed = {(t["key"], t["metric"]): t["pass"] for t in result["targets"]}
    assert passed[("llama2-70b-99", "ROUGE1")] and not passed[("llama2-70b-99", "TOKENS_PER_SAMPLE")]

    pickle = tmp_path / "labels" / "open_orca.pkl"
    assert accuracy.main(["--checkpoint-path", str(llama2_fixture["folder"] / "model"), "--mlperf-accuracy-file",
                          str(log), "--dataset-file", str(pickle), "--dtype", "int64", "--dataset-sha256",
                          sha256(pickle), "--punkt", str(llama2_fixture["folder"] / "punkt_tab.zip"),
                          "--punkt-sha256", "", "--workers", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["", "Results", "", line]


def test_server_run_reports_first_tokens_and_scores_the_references(llama2_fixture, tmp_path):  # noqa: F811
    references = llama2_fixture["references"]
    manifest = labelled_manifest(llama2_fixture, tmp_path / "labels", references)
    done = run(["make", "llama2"], harness_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT - 1, BATCH_SIZE=2,
                                               SCENARIO="Server", **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr
    outputs = llama2_fixture["outputs"][:COUNT - 1]
    tokens = sum(len(o) - 1 if o[-1] == 2 else len(o) for o in outputs)
    line = str(metric.evaluate(llama2_fixture["texts"][:COUNT - 1], references[:COUNT - 1], tokens,
                               splitter(llama2_fixture)))
    run_dir = only_run_dir(tmp_path / "logs", "Server")
    assert (run_dir / "accuracy.txt").read_text().splitlines()[0] == line
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    for entry in entries:  # the first token went to LoadGen before the response
        data = bytes.fromhex(entry["data"])
        assert data == outputs[entry["qsl_idx"]].astype("<i8").tobytes()
        assert bytes.fromhex(entry["token_data"]) == data[:8] and entry["token_count"] == len(data) // 8
    result = json.loads((run_dir / "result.json").read_text())
    assert result["samples"]["scored"] == COUNT - 1 and result["samples"]["partial"] is True
    assert "partial: ROUGE and tokens per sample over the 5 of 6 samples" in done.stdout


def test_missing_artifacts_name_their_manual_steps(tmp_path):
    done = run(["make", "llama2"], harness_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0, done.stdout + done.stderr
    for text in ("open_orca_gpt4_tokenized_llama.sampled_24576.pkl", "mlcommons-inference-wg-public/open_orca",
                 "meta-llama/Llama-2-70b-chat-hf", "llama_index_core-0.14.25"):
        assert text in done.stderr, text
