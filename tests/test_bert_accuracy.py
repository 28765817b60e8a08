"""`python -m harness accuracy bert`: the reference script's flags, its result line, and hand-made logs
over the generated SQuAD fixture whose right answers are known."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from harness import cli
from language.bert import accuracy, demo, features, squad
from language.bert.squad_eval import normalize_answer
from language.bert.tokenization import wordpiece_tokenizer


@pytest.fixture(scope="session")
def squad_fixture(tmp_path_factory):
    """Dataset and vocab of the demo (no model), its features, and each question's gold word span."""
    folder = tmp_path_factory.mktemp("bert_squad")
    demo.write_dataset(folder / "dev-v1.1.json", seed=11)
    demo.write_vocab(folder, folder / "dev-v1.1.json")
    data = json.loads((folder / "dev-v1.1.json").read_text(encoding="utf-8"))
    gold = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                first = len(paragraph["context"][:answer["answer_start"]].split())
                gold.append((first, first + len(answer["text"].split()) - 1, answer["text"]))
    _, examples = squad.read_examples(folder / "dev-v1.1.json")
    feats = features.convert(examples, wordpiece_tokenizer(folder / "vocab.txt"))
    return {"folder": folder, "examples": examples, "features": feats, "gold": gold}


def response(feature, gold, right: bool, dtype=np.float32, transposed=False) -> str:
    """Peaks on the gold span where its start has max context; no valid span at all otherwise."""
    start, end = np.full(384, -5.0), np.full(384, -5.0)
    positions = [feature.doc_offset + i for i, w in enumerate(feature.word_index)]
    first = [p for p in positions if feature.word_at(p) == gold[0]]
    last = [p for p in positions if feature.word_at(p) == gold[1]]
    if right and first and last and feature.max_context[first[0] - feature.doc_offset]:
        start[first[0]], end[last[-1]] = 10.0, 10.0
    elif not right:
        start[364:], end[:20] = 10.0, 10.0  # every high end lies before every high start
    pair = np.stack([start, end], axis=-1).astype(dtype)
    return (pair.T if transposed else pair).tobytes().hex().upper()


def write_log(path, fixture, right: set[int], count=None, **kw):
    feats = fixture["features"][:count]
    entries = [{"seq_id": i, "qsl_idx": i, "data": response(f, fixture["gold"][f.example_index],
                                                            f.example_index in right, **kw)}
               for i, f in enumerate(feats)]
    path.write_text(json.dumps(entries))
    return path


def flags(fixture, log, out, *extra):
    folder = fixture["folder"]
    return ["--vocab_file", str(folder / "vocab.txt"), "--val_data", str(folder / "dev-v1.1.json"),
            "--log_file", str(log), "--out_file", str(out), *extra]


def countable(fixture) -> list[int]:
    """Questions whose gold answer keeps a word after normalisation (EM = F1 = 1 when right)."""
    return [i for i, (_, _, text) in enumerate(fixture["gold"]) if normalize_answer(text)]


def line(share: float) -> str:
    return json.dumps({"exact_match": share, "f1": share})


def test_the_command_prints_the_reference_line_and_writes_predictions(squad_fixture, tmp_path, capsys):
    right = set(countable(squad_fixture)[:8])
    log = write_log(tmp_path / "log.json", squad_fixture, right)
    out, cache = tmp_path / "result" / "predictions.json", tmp_path / "features.json"
    n_q, n_f = len(squad_fixture["examples"]), len(squad_fixture["features"])
    code = cli.main(["accuracy", "bert", *flags(squad_fixture, log, out, "--features_cache_file", str(cache))])
    done = capsys.readouterr()
    assert code == 0, done.err
    assert done.out.splitlines() == [
        f"Read {n_q} questions from {squad_fixture['folder'] / 'dev-v1.1.json'}",
        f"{n_f} features from {n_q} questions, cached at {cache}",
        f"Scoring {n_f} responses from {log}",
        f"Writing predictions to: {out}",
        line(100.0 * len(right) / n_q)]
    predicted = json.loads(out.read_text())
    assert list(predicted) == [e.qas_id for e in squad_fixture["examples"]]
    for i, example in enumerate(squad_fixture["examples"]):
        if i in right:
            assert normalize_answer(predicted[example.qas_id]) == normalize_answer(squad_fixture["gold"][i][2])
        else:
            assert predicted[example.qas_id] == "empty"
    assert out.read_text().startswith('{\n    "')  # indented by 4, as the reference writes it


def test_dtype_and_transposed_layout_flags_decode_the_same_answers(squad_fixture, tmp_path, capsys):
    right = set(countable(squad_fixture)[:5])
    expected = line(100.0 * len(right) / len(squad_fixture["examples"]))
    for name, kw, extra in (("f16", {"dtype": np.float16}, ["--output_dtype", "float16"]),
                            ("t", {"transposed": True}, ["--output_transposed"]),
                            ("i8", {"dtype": np.int8}, ["--output_dtype", "int8"])):
        log = write_log(tmp_path / f"{name}.json", squad_fixture, right, **kw)
        assert accuracy.main(flags(squad_fixture, log, tmp_path / f"{name}.pred.json", *extra)) == 0
        assert capsys.readouterr().out.splitlines()[-1] == expected, name


def test_max_examples_scores_the_first_questions_and_divides_by_them(squad_fixture, tmp_path, capsys):
    ok = countable(squad_fixture)
    right = {ok[0], ok[2]}
    log = write_log(tmp_path / "log.json", squad_fixture, right)
    assert accuracy.main(flags(squad_fixture, log, tmp_path / "p.json", "--max_examples", "4")) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[-1] == line(100.0 * sum(1 for i in right if i < 4) / 4)
    assert len(json.loads((tmp_path / "p.json").read_text())) == 4
    assert "over the 4 of" in out.err


def test_a_partial_log_is_scored_on_whole_questions_and_says_so(squad_fixture, tmp_path, capsys):
    feats = squad_fixture["features"]
    cut = len(feats) - 1  # the last question has several features; one is missing
    assert feats[cut].example_index == feats[cut - 1].example_index
    n_scored = feats[cut].example_index
    right = set(countable(squad_fixture)[:6])
    log = write_log(tmp_path / "log.json", squad_fixture, right, count=cut)
    assert accuracy.main(flags(squad_fixture, log, tmp_path / "p.json")) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[-1] == line(100.0 * len([i for i in right if i < n_scored]) / n_scored)
    total = len(squad_fixture["examples"])
    assert f"note: partial: EM and F1 over the {n_scored} of {total} questions" in out.err
    assert "1 question(s) with only some features in the log left out" in out.err


def test_the_feature_cache_is_reused_and_a_foreign_file_is_refused(squad_fixture, tmp_path, capsys):
    log = write_log(tmp_path / "log.json", squad_fixture, set())
    cache = tmp_path / "cache.json"
    for _ in range(2):
        assert accuracy.main(flags(squad_fixture, log, tmp_path / "p.json", "--features_cache_file", str(cache))) == 0
    assert "features from the cache" in capsys.readouterr().out
    foreign = tmp_path / "eval_features.pickle"
    foreign.write_bytes(pickle.dumps({"not": "ours"}))
    with pytest.raises(ValueError, match="never loaded"):
        accuracy.main(flags(squad_fixture, log, tmp_path / "p.json", "--features_cache_file", str(foreign)))
    other = json.loads(cache.read_text())
    other["vocab_sha256"] = "0" * 64
    cache.write_text(json.dumps(other))
    with pytest.raises(ValueError, match="another dataset or vocab"):
        accuracy.main(flags(squad_fixture, log, tmp_path / "p.json", "--features_cache_file", str(cache)))


def test_bad_flags_and_logs_fail_clearly(squad_fixture, tmp_path, capsys):
    log = tmp_path / "log.json"
    log.write_text(json.dumps([{"seq_id": 0, "qsl_idx": 999, "data": "00" * 8}]))
    assert cli.main(["accuracy", "bert", *flags(squad_fixture, log, tmp_path / "p.json")]) == 2  # bad input
    assert "qsl_idx 999" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        accuracy.main(flags(squad_fixture, log, tmp_path / "p.json", "--output_dtype", "bfloat16"))
