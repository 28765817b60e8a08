"""`make mixtral` end to end through the real LoadGen wheel on a tiny random Mixtral."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
from conftest import run, sha256
from llm_fixture import llm_env
from mixtral_8x7b_fixture import COUNT, labelled_manifest, mixtral_fixture  # noqa: F401 - pytest fixture

from harness.codecs import INT64, Responses
from language.llm import sentences
from language.mixtral_8x7b import gsm8k, metric

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


def accuracy_command(tmp_path: Path, fixture, log: Path, dataset: Path, *flags: str, **env):
    """``python -m harness accuracy mixtral`` with the reference's flags; punkt comes from MANIFEST."""
    return run([sys.executable, "-m", "harness", "accuracy", "mixtral", "--checkpoint-path",
                str(fixture["folder"] / "model"), "--mlperf-accuracy-file", str(log), "--dataset-file", str(dataset),
                *flags], llm_env(tmp_path, **env))


def evaluate(log: Path, frame, fixture) -> dict:
    return metric.evaluate(Responses(log, INT64, size=len(frame)), frame, fixture["decoder"], splitter(fixture))[0]


def test_offline_run_scores_all_three_datasets(mixtral_fixture, tmp_path):  # noqa: F811
    labels = self_labels(mixtral_fixture)
    manifest, data = labelled_manifest(mixtral_fixture, tmp_path / "labels", labels)
    done = run(["make", "mixtral"], llm_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, BATCH_SIZE=COUNT,
                                                WORKERS=2, **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr  # random weights: the slice fails its targets
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
    result = evaluate(log, frame, mixtral_fixture)
    tokens = sum(len(o) for o in outputs.values())
    assert result["rouge1"] == 100.0 and result["rougeL"] == 100.0
    assert result["gen_num"] == COUNT and result["gen_tok_len"] == tokens
    assert result["tokens_per_sample"] == round(tokens / COUNT, 1)
    line = str(result)
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    metrics = json.loads((run_dir / "result.json").read_text())
    assert metrics["verdict"] == "PARTIAL" and metrics["verdict_on_slice"] == "FAIL"  # 6 samples: a check, no result
    assert metrics["samples"]["scored"] == COUNT
    assert metrics["metrics"]["ROUGE1"] == 100.0 and metrics["metrics"]["TOKENS_PER_SAMPLE"] == result[
        "tokens_per_sample"]
    rows = {t["metric"]: t for t in metrics["targets"]}
    assert rows["ROUGE1"]["pass"] and rows["TOKENS_PER_SAMPLE"]["upper_limit"] == 145.9 * 1.1
    assert rows["TOKENS_PER_SAMPLE"]["pass"] is (131.31 <= result["tokens_per_sample"] <= 160.49)

    # the reference's flags only: no checksum for the pickle, punkt from the MANIFEST as for a run
    scored = accuracy_command(tmp_path, mixtral_fixture, log, data, "--n_workers", "2", MANIFEST=manifest, WORKERS=2)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert scored.stdout.splitlines() == ["", "Results", "", line]


def test_server_run_reports_first_tokens_and_scores_a_partial_log(mixtral_fixture, tmp_path):  # noqa: F811
    manifest, _ = labelled_manifest(mixtral_fixture, tmp_path / "labels", {})
    done = run(["make", "mixtral"], llm_env(tmp_path, MANIFEST=manifest, N_COUNT=2, BATCH_SIZE=1,
                                                SCENARIO="Server", **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr
    run_dir = only_run_dir(tmp_path / "logs", "Server")
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == [0, 1]
    for e in entries:
        data = bytes.fromhex(e["data"])
        assert e["token_count"] == len(data) // 8 >= 2
        assert bytes.fromhex(e["token_data"]) == data[:8]  # the first token, sent before completion
    result = evaluate(run_dir / "mlperf_log_accuracy.json", mixtral_fixture["frame"], mixtral_fixture)
    assert (run_dir / "accuracy.txt").read_text().splitlines()[0] == str(result)
    metrics = json.loads((run_dir / "result.json").read_text())
    assert metrics["samples"]["scored"] == 2 and metrics["samples"]["partial"] is True
    assert "partial: scored 2 of 6 samples" in done.stdout + done.stderr


def test_missing_artifacts_name_their_sources(tmp_path):
    done = run(["make", "mixtral"], llm_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0, done.stdout + done.stderr
    for text in ("2024.06.06_mixtral_15k_v4.pkl", "a60832cb6c88d5cb6e507680d0e9996fbad77050",
                 "llama_index_core-0.14.25"):
        assert text in done.stderr, text


def test_byte_pieces_are_decoded_as_the_reference_not_as_transformers_5(mixtral_fixture, tmp_path):  # noqa: F811
    """Invalid UTF-8 from byte pieces in OpenOrca and GSM8K answers: the run's scorer and the accuracy
    command decode as sentencepiece (the reference's slow tokenizer), not as transformers 5 does."""
    from transformers import LlamaTokenizer

    from harness import artifacts, config
    from harness.contract import Run
    from harness.run import open_dataset, score_log
    from language.llm import rouge
    from language.mixtral_8x7b.benchmark import BENCHMARK

    decoder = mixtral_fixture["decoder"]
    pieces = decoder.processor

    def byte(value: int) -> int:
        return pieces.piece_to_id(f"<0x{value:02X}>")

    kinds = mixtral_fixture["frame"]["dataset"].tolist()
    math, orca = kinds.index("GSM8K"), kinds.index("OpenOrca")
    answers = {math: pieces.encode("The answer is") + [byte(0x34), byte(0x32), byte(0xE2)],  # "42", a cut "€"
               orca: pieces.encode("the train") + [byte(b) for b in b" noon\x80"]}  # a stray byte
    texts = {i: decoder.decode(ids) for i, ids in answers.items()}
    assert texts == {math: "The answer is42\ufffd", orca: "the train noon\ufffd"}
    fast = LlamaTokenizer(vocab={pieces.id_to_piece(i): i for i in range(pieces.get_piece_size())}, merges=[],
                          legacy=True)
    fast_texts = {i: fast.decode(ids, skip_special_tokens=True) for i, ids in answers.items()}
    assert fast_texts == {math: "The answer is" + "\ufffd" * 3, orca: "the train" + "\ufffd" * 6}
    reference = "The train at noon."
    manifest, data = labelled_manifest(mixtral_fixture, tmp_path / "labels", {math: "42", orca: reference})
    rows = sorted(answers.items())
    log = tmp_path / "log.json"
    log.write_text(json.dumps([{"seq_id": n, "qsl_idx": i, "data": np.array(ids, "<i8").tobytes().hex()}
                               for n, (i, ids) in enumerate(rows + rows[:1])]))  # and a duplicate

    settings = config.resolve(BENCHMARK, {"manifest": str(manifest), "n_count": 2}, env=llm_env(tmp_path, WORKERS=1))
    run_of = Run(BENCHMARK, settings, artifacts.resolve_all(BENCHMARK, settings.data_dir, True,
                                                            artifacts.load_manifest(settings.manifest)), range(2))
    score = score_log(run_of, open_dataset(run_of), log)
    split = splitter(mixtral_fixture)

    def rouge1(text: str) -> float:
        return rouge.aggregate(rouge.fmeasures(rouge.postprocess([text], split),
                                               rouge.postprocess([reference], split)))["rouge1"]

    result = ast.literal_eval(score.lines[0])
    assert result["rouge1"] == rouge1(texts[orca]) != rouge1(fast_texts[orca])
    assert result["gsm8k"] == 100.0  # transformers 5's text has no 42 in it
    assert result["gen_num"] == 3 and result["gen_len"] == len(texts[orca])
    scored = accuracy_command(tmp_path, mixtral_fixture, log, data, MANIFEST=manifest)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert scored.stdout.splitlines() == ["", "Results", "", score.lines[0]]
