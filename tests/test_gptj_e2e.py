"""`make gpt-j` end to end through the real LoadGen wheel on a tiny random GPT-J with known outputs."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from conftest import run, sha256
from gptj_fixture import COUNT, gptj_fixture, labelled_manifest  # noqa: F401 - pytest fixture
from llm_fixture import llm_env

from language.gptj import metric
from language.llm import sentences

SETTINGS = {"OMP_NUM_THREADS": 1, "DEVICE": "cpu"}


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "gpt-j" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def expected_line(fixture, references) -> str:
    split = sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))
    return str(metric.evaluate(fixture["texts"], references, split))


def accuracy_command(tmp_path: Path, log: Path, dataset: Path, **env):
    """``python -m harness accuracy gpt-j`` with the reference's flags, in a private HF_HOME and DATA_DIR."""
    return run([sys.executable, "-m", "harness", "accuracy", "gpt-j", "--mlperf-accuracy-file", str(log),
                "--dataset-file", str(dataset)], llm_env(tmp_path, WORKERS=1, **env))


def test_offline_batched_run_reproduces_batch_one_generation(gptj_fixture, tmp_path):  # noqa: F811
    references = gptj_fixture["texts"]  # the model's own outputs: every ROUGE is 100
    manifest = labelled_manifest(gptj_fixture, tmp_path / "labels", references)
    done = run(["make", "gpt-j"], llm_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, BATCH_SIZE=4, **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr  # GEN_LEN is a total over 13,368 samples
    line = expected_line(gptj_fixture, references)
    gen_len = sum(len(t) for t in sentences_joined(gptj_fixture))
    assert line == (f"{{'rouge1': 100.0, 'rouge2': 100.0, 'rougeL': 100.0, 'rougeLsum': 100.0, "
                    f"'gen_len': {gen_len}, 'gen_num': {COUNT}}}")
    assert line in done.stdout and "PARTIAL" in done.stdout and "FAIL on this slice" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    log = run_dir / "mlperf_log_accuracy.json"
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    entries = {e["qsl_idx"]: bytes.fromhex(e["data"]) for e in json.loads(log.read_text())}
    assert entries == {i: o.astype("<i8").tobytes() for i, o in enumerate(gptj_fixture["outputs"])}
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict"] == "PARTIAL" and result["verdict_on_slice"] == "FAIL"  # 6 samples: a check, no result
    assert result["samples"]["scored"] == COUNT
    assert result["metrics"] == {"ROUGE1": 100.0, "ROUGE2": 100.0, "ROUGEL": 100.0, "ROUGELSUM": 100.0,
                                 "GEN_LEN": gen_len}
    passed = {(t["key"], t["metric"]): t["pass"] for t in result["targets"]}
    assert passed[("gptj-99", "ROUGE1")] and not passed[("gptj-99", "GEN_LEN")]

    # the reference's flags only: punkt and the checkpoint's tokenizer come from the MANIFEST, as for a run
    scored = accuracy_command(tmp_path, log, tmp_path / "labels" / "cnn_eval.json", MANIFEST=manifest)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert scored.stdout.splitlines() == ["", "Results", "", line]


def sentences_joined(fixture) -> list[str]:
    split = sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))
    return ["\n".join(split(t.strip())) for t in fixture["texts"]]


def test_server_run_scores_against_the_dataset_references(gptj_fixture, tmp_path):  # noqa: F811
    references = [r["output"] for r in json.loads((gptj_fixture["folder"] / "cnn_eval.json").read_text())]
    manifest = labelled_manifest(gptj_fixture, tmp_path / "labels", references)
    done = run(["make", "gpt-j"], llm_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT - 1, BATCH_SIZE=2,
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
    done = run(["make", "gpt-j"], llm_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0, done.stdout + done.stderr
    for text in ("cnn_eval.json", "download_cnndm.py", "QAZ2oM94MkFtbQx", "llama_index_core-0.14.25"):
        assert text in done.stderr, text


def hub_cache(hf_home: Path, model: Path) -> None:
    """The fixture's tokenizer files laid out as EleutherAI/gpt-j-6B in a Hugging Face cache."""
    repo = hf_home / "hub" / "models--EleutherAI--gpt-j-6B"
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for path in model.iterdir():  # what `hf download ... --include '*.json' '*.txt'` gets
        if path.suffix in (".json", ".txt"):
            shutil.copy(path, snapshot / path.name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


def test_accuracy_command_reads_the_tokenizer_from_the_hugging_face_cache(gptj_fixture, tmp_path):  # noqa: F811
    folder = gptj_fixture["folder"]
    hub_cache(tmp_path / "hf", folder / "model")
    manifest = tmp_path / "punkt_only.json"  # no checkpoint anywhere: the cache must answer
    manifest.write_text(json.dumps({"artifacts": {"punkt": {"path": str(folder / "punkt_tab.zip"),
                                                             "sha256": sha256(folder / "punkt_tab.zip")}}}))
    log = tmp_path / "log.json"
    outputs = gptj_fixture["outputs"][:2]
    log.write_text(json.dumps([{"seq_id": i, "qsl_idx": i, "data": o.astype("<i4").tobytes().hex().upper()}
                               for i, o in enumerate(outputs)]))
    references = [r["output"] for r in json.loads((folder / "cnn_eval.json").read_text())]
    split = sentences.splitter(sentences.unpack(folder / "punkt_tab.zip", None))
    scored = run([sys.executable, "-m", "harness", "accuracy", "gpt-j", "--mlperf-accuracy-file", str(log),
                  "--dataset-file", str(folder / "cnn_eval.json"), "--dtype", "int32", "--verbose"],
                 llm_env(tmp_path, WORKERS=1, MANIFEST=manifest, OFFLINE=1, SCENARIO="Bogus", N_COUNT=-3))
    assert scored.returncode == 0, scored.stdout + scored.stderr  # a run's settings left in the shell do not matter
    line = str(metric.evaluate(gptj_fixture["texts"][:2], references[:2], split))
    assert scored.stdout.splitlines() == ["", "Results", "", line]
    assert "scored 2 samples, 0 duplicate responses ignored" in scored.stderr


def test_accuracy_command_without_a_tokenizer_says_where_to_put_one(gptj_fixture, tmp_path):  # noqa: F811
    folder = gptj_fixture["folder"]
    manifest = tmp_path / "punkt_only.json"
    manifest.write_text(json.dumps({"artifacts": {"punkt": {"path": str(folder / "punkt_tab.zip")}}}))
    log = tmp_path / "log.json"
    log.write_text(json.dumps([{"seq_id": 0, "qsl_idx": 0, "data": "0100000000000000"}]))
    scored = accuracy_command(tmp_path, log, folder / "cnn_eval.json", MANIFEST=manifest, OFFLINE=1)
    assert scored.returncode == 3, scored.stdout + scored.stderr
    for text in ("EleutherAI/gpt-j-6B", "Hugging Face cache", "models/gpt-j/checkpoint", "QAZ2oM94MkFtbQx"):
        assert text in scored.stderr, text
