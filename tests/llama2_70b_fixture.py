"""A generated Llama-2 fixture, and the outputs of the reference-style batch-1 ``generate`` on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import sha256
from llm_fixture import generate_one_at_a_time, manifest_with_dataset

COUNT = 6


def reference_outputs(folder: Path, prompts) -> list:
    """New tokens per record, one sample at a time with the reference's generate keywords, up to and
    including the first EOS (what a batch of one returns)."""
    return generate_one_at_a_time(folder / "model", prompts, pad_token_id=2, early_stopping=True,
                                  max_new_tokens=1024, min_new_tokens=1, num_beams=1, do_sample=False)


@pytest.fixture(scope="session")
def llama2_fixture(tmp_path_factory):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    import numpy as np

    from language.llama2_70b import demo
    from harness.pickles import read_frame
    from language.llm.tokenizers import SentencePieceDecoder

    folder = tmp_path_factory.mktemp("llama2_fixture")
    manifest = demo.build(folder, count=COUNT, seed=1)
    pickle = folder / "open_orca.pkl"
    frame = read_frame(pickle, ("tok_input", "output"), "the demo pickle", sha256=sha256(pickle))
    prompts, references = [np.asarray(t, np.int64) for t in frame["tok_input"]], frame["output"].tolist()
    outputs = reference_outputs(folder, prompts)
    cut = [o.tolist()[: o.tolist().index(2)] if 2 in o.tolist() else o.tolist() for o in outputs]
    texts = SentencePieceDecoder.from_folder(folder / "model").batch_decode(cut)
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
    return manifest_with_dataset(fixture, where, data)
