"""The BERT test fixture: the demo's generated SQuAD set, vocab and small random BERT, plus the
answer the model gives to each question computed directly (one feature at a time, no LoadGen),
so the end-to-end tests know the right numbers in advance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sha256

FIXTURE_SEED = 5


def direct_answers(folder: Path) -> dict[str, str]:
    import torch

    from language.bert import features, model, predictions, squad
    from language.bert.tokenization import wordpiece_tokenizer

    _, examples = squad.read_examples(folder / "dev-v1.1.json")
    tokenizer = wordpiece_tokenizer(folder / "vocab.txt")
    feats = features.convert(examples, tokenizer)
    arrays = features.input_arrays(feats, tokenizer.convert_tokens_to_ids)
    net = model.load(folder / "bert_config.json", folder / "model.pytorch")
    per_example: dict[int, list] = {}
    with torch.no_grad():
        for i, feature in enumerate(feats):
            out = net(**{name: torch.from_numpy(arrays[key][i:i + 1]).long() for name, key in (
                ("input_ids", "input_ids"), ("attention_mask", "input_mask"), ("token_type_ids", "segment_ids"))})
            start = out.start_logits[0].numpy().astype("float64")
            end = out.end_logits[0].numpy().astype("float64")
            per_example.setdefault(feature.example_index, []).append((feature, start, end))
    return {ex.qas_id: predictions.predict(ex, per_example[i]) for i, ex in enumerate(examples)}


@pytest.fixture(scope="session")
def bert_fixture(tmp_path_factory):
    pytest.importorskip("transformers")
    from language.bert import demo

    folder = tmp_path_factory.mktemp("bert_fixture")
    manifest = json.loads(demo.build(folder, seed=FIXTURE_SEED).read_text())
    data = json.loads((folder / "dev-v1.1.json").read_text(encoding="utf-8"))
    qids = [q["id"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    return {"folder": folder, "count": manifest["count"], "qids": qids, "answers": direct_answers(folder)}


def labelled_manifest(fixture: dict, where: Path, correct: set[str]) -> Path:
    """The fixture with reference answers equal to the model's answer for the ``correct``
    questions and an answer sharing no word with anything for the others."""
    where.mkdir(parents=True, exist_ok=True)
    folder = fixture["folder"]
    data = json.loads((folder / "dev-v1.1.json").read_text(encoding="utf-8"))
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                text = fixture["answers"][qa["id"]] if qa["id"] in correct else "zzzz yyyy"
                qa["answers"] = [{"answer_start": 0, "text": text}]
    dataset = where / "dev-v1.1.json"
    dataset.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    files = {"dataset": dataset, "vocab": folder / "vocab.txt", "weights": folder / "model.pytorch",
             "config": folder / "bert_config.json"}
    manifest = {"artifacts": {k: {"path": str(p), "sha256": sha256(p)} for k, p in files.items()}}
    path = where / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path
