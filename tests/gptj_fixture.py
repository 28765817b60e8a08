"""A generated GPT-J fixture, and the outputs of the reference-style batch-1 ``generate`` on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_fixture import generate_one_at_a_time, manifest_with_dataset

COUNT = 6


def reference_outputs(folder: Path) -> list:
    """New tokens per record, one sample at a time with the reference's generate keywords."""
    from language.gptj import dataset
    from language.llm.tokenizers import load_tokenizer

    tokenizer = load_tokenizer(folder / "model")
    prompts = [dataset.encode(tokenizer, dataset.prompt_of(r)) for r in dataset.read_records(folder / "cnn_eval.json")]
    return generate_one_at_a_time(folder / "model", prompts, early_stopping=True, max_new_tokens=128,
                                  min_new_tokens=30, num_beams=4, pad_token_id=tokenizer.eos_token_id)


@pytest.fixture(scope="session")
def gptj_fixture(tmp_path_factory):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from language.gptj import demo, metric
    from language.llm.tokenizers import load_tokenizer

    folder = tmp_path_factory.mktemp("gptj_fixture")
    manifest = demo.build(folder, count=COUNT, seed=1)
    outputs = reference_outputs(folder)
    tokenizer = load_tokenizer(folder / "model")
    texts = metric.decode_texts(tokenizer, outputs)
    return {"folder": folder, "manifest": manifest, "outputs": outputs, "texts": texts, "tokenizer": tokenizer}


def labelled_manifest(fixture: dict, where: Path, references: list[str]) -> Path:
    """The fixture's manifest with cnn_eval.json's references replaced by ``references``."""
    where.mkdir(parents=True, exist_ok=True)
    records = json.loads((fixture["folder"] / "cnn_eval.json").read_text())
    for record, reference in zip(records, references):
        record["output"] = reference
    data = where / "cnn_eval.json"
    data.write_text(json.dumps(records, indent=4))
    return manifest_with_dataset(fixture, where, data)
