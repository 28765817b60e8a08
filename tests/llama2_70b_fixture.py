"""A generated Llama-2 fixture, and the outputs of the reference-style batch-1 ``generate`` on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sha256

COUNT = 6


def reference_outputs(folder: Path, prompts) -> list:
    """New tokens per record, one sample at a time with the reference's generate keywords, up to and
    including the first EOS (what a batch of one returns)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(folder / "model")).eval()
    outputs = []
    for ids in prompts:
        with torch.inference_mode():
            out = model.generate(input_ids=torch.from_numpy(ids[None]), attention_mask=torch.ones(1, len(ids),
                                 dtype=torch.long), pad_token_id=2, early_stopping=True, max_new_tokens=1024,
                                 min_new_tokens=1, num_beams=1, do_sample=False)
        outputs.append(out[0, len(ids):].numpy())
    return outputs


@pytest.fixture(scope="session")
def llama2_fixture(tmp_path_factory):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from harness.artifacts import Resolved
    from language.llama2_70b import dataset, demo

    folder = tmp_path_factory.mktemp("llama2_fixture")
    manifest = demo.build(folder, count=COUNT, seed=1)
    pickle = folder / "open_orca.pkl"
    prompts, references = dataset.read_dataset(Resolved("dataset", pickle, {"sha256": sha256(pickle)}))
    outputs = reference_outputs(folder, prompts)
    tokenizer = dataset.load_tokenizer(folder / "model")
    cut = [o.tolist()[: o.tolist().index(2)] if 2 in o.tolist() else o.tolist() for o in outputs]
    texts = tokenizer.batch_decode(cut, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return {"folder": folder, "manifest": manifest, "outputs": outputs, "texts": texts, "references": references,
            "tokens": sum(len(c) for c in cut)}


def labelled_manifest(fixture: dict, where: Path, references: list[str]) -> Path:
    """The fixture's manifest with the pickle's reference answers replaced by ``references``."""
    import pandas as pd

    where.mkdir(parents=True, exist_ok=True)
    frame = pd.read_pickle(fixture["folder"] / "open_orca.pkl")
    frame["output"] = references
    data = where / "open_orca.pkl"
    frame.to_pickle(data)
    manifest = json.loads(fixture["manifest"].read_text())
    artifacts = manifest["artifacts"]
    artifacts["dataset"] = {"path": str(data), "sha256": sha256(data)}
    for name in ("model", "punkt"):
        artifacts[name]["path"] = str(fixture["folder"] / artifacts[name]["path"])
    manifest.pop("demo")
    path = where / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path
