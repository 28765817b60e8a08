"""`make llama2` end to end through the real LoadGen wheel on a tiny random Llama with known outputs."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
from conftest import run, sha256
from llama2_70b_fixture import COUNT, labelled_manifest, llama2_fixture  # noqa: F401 - pytest fixture
from llm_fixture import llm_env

from language.llama2_70b import metric
from language.llm import sentences

SETTINGS = {"OMP_NUM_THREADS": 1, "DEVICE": "cpu", "WORKERS": 1}


def only_run_dir(log_dir: Path, scenario: str) -> Path:
    runs = sorted((log_dir / "llama2" / scenario / "float32").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def splitter(fixture):
    return sentences.splitter(sentences.unpack(fixture["folder"] / "punkt_tab.zip", None))


def accuracy_command(tmp_path: Path, fixture, log: Path, dataset: Path, *flags: str, **env):
    """``python -m harness accuracy llama2`` with the reference's flags; punkt comes from MANIFEST."""
    return run([sys.executable, "-m", "harness", "accuracy", "llama2", "--checkpoint-path",
                str(fixture["folder"] / "model"), "--mlperf-accuracy-file", str(log), "--dataset-file", str(dataset),
                *flags], llm_env(tmp_path, WORKERS=1, **env))


def test_offline_batched_run_matches_batch_one_generation(llama2_fixture, tmp_path):  # noqa: F811
    references = llama2_fixture["texts"]  # the model's own answers: 100 unless a text has no word at all
    manifest = labelled_manifest(llama2_fixture, tmp_path / "labels", references)
    done = run(["make", "llama2"], llm_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT, BATCH_SIZE=4, **SETTINGS))
    assert done.returncode != 0, done.stdout + done.stderr  # a few tokens per sample: below 265.005
    tokens = llama2_fixture["tokens"]
    line = str(metric.evaluate(references, references, tokens, splitter(llama2_fixture)))
    expected = ast.literal_eval(line)
    assert line.endswith(f"'gen_num': {COUNT}, 'gen_tok_len': {tokens}, 'tokens_per_sample': "
                         f"{round(tokens / COUNT, 1)}}}")
    assert line in done.stdout and "PARTIAL" in done.stdout and "FAIL on this slice" in done.stdout

    run_dir = only_run_dir(tmp_path / "logs", "Offline")
    log = run_dir / "mlperf_log_accuracy.json"
    assert (run_dir / "accuracy.txt").read_text().splitlines() == [line, f"hash={sha256(log)}"]
    entries = json.loads(log.read_text())
    assert {e["qsl_idx"]: bytes.fromhex(e["data"]) for e in entries} == {
        i: o.astype("<i8").tobytes() for i, o in enumerate(llama2_fixture["outputs"])}
    assert all(e["token_count"] == len(e["data"]) // 16 >= 2 for e in entries)  # n_tokens sent to LoadGen
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict"] == "PARTIAL" and result["verdict_on_slice"] == "FAIL"  # 6 samples: a check, no result
    assert result["samples"]["scored"] == COUNT
    assert result["metrics"] == {"ROUGE1": expected["rouge1"], "ROUGE2": expected["rouge2"],
                                 "ROUGEL": expected["rougeL"], "ROUGELSUM": expected["rougeLsum"],
                                 "TOKENS_PER_SAMPLE": round(tokens / COUNT, 1)}
    passed = {(t["key"], t["metric"]): t["pass"] for t in result["targets"]}
    assert passed[("llama2-70b-99", "ROUGE1")] and not passed[("llama2-70b-99", "TOKENS_PER_SAMPLE")]

    # the reference's flags only: no checksum for the pickle, punkt from the MANIFEST as for a run
    scored = accuracy_command(tmp_path, llama2_fixture, log, tmp_path / "labels" / "open_orca.pkl", "--dtype",
                              "int64", MANIFEST=manifest)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert scored.stdout.splitlines() == ["", "Results", "", line]


def test_server_run_reports_first_tokens_and_scores_the_references(llama2_fixture, tmp_path):  # noqa: F811
    references = llama2_fixture["references"]
    manifest = labelled_manifest(llama2_fixture, tmp_path / "labels", references)
    done = run(["make", "llama2"], llm_env(tmp_path, MANIFEST=manifest, N_COUNT=COUNT - 1, BATCH_SIZE=2,
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
    done = run(["make", "llama2"], llm_env(tmp_path, OFFLINE=1))
    assert done.returncode != 0, done.stdout + done.stderr
    for text in ("open_orca_gpt4_tokenized_llama.sampled_24576.pkl", "mlcommons-inference-wg-public/open_orca",
                 "meta-llama/Llama-2-70b-chat-hf", "llama_index_core-0.14.25"):
        assert text in done.stderr, text


def test_byte_pieces_are_decoded_as_the_reference_not_as_transformers_5(llama2_fixture, tmp_path):  # noqa: F811
    """Invalid UTF-8 from byte pieces: the run's scorer and the accuracy command decode as sentencepiece
    (the reference's slow tokenizer); transformers 5's fast decode of the same vocabulary differs."""
    from transformers import LlamaTokenizer

    from harness import artifacts, config
    from harness.contract import Run
    from harness.run import open_dataset, score_log
    from language.llama2_70b.benchmark import BENCHMARK
    from language.llm.tokenizers import SentencePieceDecoder

    decoder = SentencePieceDecoder.from_folder(llama2_fixture["folder"] / "model")
    pieces = decoder.processor

    def byte(value: int) -> int:
        return pieces.piece_to_id(f"<0x{value:02X}>")

    words = pieces.encode("the team won")
    answers = [words + [byte(0x64), byte(0x6F), byte(0x67), byte(0x80)] + words,  # "dog", then a stray byte
               [byte(0x20)] + words + [byte(0xE2), byte(0x82), byte(0xAC), byte(0x80)]]  # a space byte; "€", a stray
    texts = decoder.batch_decode(answers)
    assert texts == ["the team wondog\ufffd the team won", "  the team won€\ufffd"]
    fast = LlamaTokenizer(vocab={pieces.id_to_piece(i): i for i in range(pieces.get_piece_size())}, merges=[])
    fast_texts = fast.batch_decode(answers, skip_special_tokens=True)
    assert fast_texts[0] == "the team won\ufffd\ufffd\ufffd\ufffd the team won"  # "dog" is lost
    references = ["The team won. Dog. The team won.", "The team won the euro."]
    manifest = labelled_manifest(llama2_fixture, tmp_path / "labels", references + llama2_fixture["references"][2:])
    log = tmp_path / "log.json"
    log.write_text(json.dumps([{"seq_id": i, "qsl_idx": i, "data": np.array(ids + [2, 2], "<f4").tobytes().hex()}
                               for i, ids in enumerate(answers)]))  # as upstream's --dtype float logs

    split, tokens = splitter(llama2_fixture), sum(map(len, answers))
    expected = str(metric.evaluate(texts, references, tokens, split))
    assert expected != str(metric.evaluate(fast_texts, references, tokens, split))
    settings = config.resolve(BENCHMARK, {"manifest": str(manifest), "n_count": 2}, env=llm_env(tmp_path, WORKERS=1))
    run_of = Run(BENCHMARK, settings, artifacts.resolve_all(BENCHMARK, settings.data_dir, True,
                                                            artifacts.load_manifest(settings.manifest)), range(2))
    run_log = tmp_path / "int64.json"  # the run's own codec is int64
    run_log.write_text(json.dumps([{"seq_id": i, "qsl_idx": i, "data": np.array(ids, "<i8").tobytes().hex()}
                                     for i, ids in enumerate(answers)]))
    assert score_log(run_of, open_dataset(run_of), run_log).lines == [expected]
    scored = accuracy_command(tmp_path, llama2_fixture, log, tmp_path / "labels" / "open_orca.pkl", "--dtype", "float",
                              MANIFEST=manifest)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert scored.stdout.splitlines() == ["", "Results", "", expected]
