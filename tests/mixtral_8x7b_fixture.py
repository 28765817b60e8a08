"""A generated Mixtral fixture, the engine's outputs on it, and manifests with chosen labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import sha256
from llm_fixture import manifest_with_dataset

COUNT = 6


def sorted_batch_outputs(folder: Path, frame) -> dict[int, np.ndarray]:
    """New tokens per row, generated as one length-sorted batch (what Offline with BATCH_SIZE=COUNT does)."""
    from transformers import AutoModelForCausalLM

    from language.llm.generation import Engine, pad_short
    from language.mixtral_8x7b.backend import EOS_ID, SETTINGS, mbxp_stop

    model = AutoModelForCausalLM.from_pretrained(str(folder / "model")).eval()
    prompts = [np.asarray(t, dtype=np.int64) for t in frame["tok_input"]]
    order = sorted(range(len(prompts)), key=lambda i: (-len(prompts[i]), i))
    outputs = Engine(model, SETTINGS, EOS_ID, mbxp_stop).generate([prompts[i] for i in order],
                                                                  [frame["dataset"].iloc[i] == "MBXP" for i in order])
    return {i: pad_short(tokens, EOS_ID) for i, tokens in zip(order, outputs)}


@pytest.fixture(scope="session")
def mixtral_fixture(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("pandas")
    torch.set_num_threads(1)
    from harness.pickles import read_frame
    from language.llm.tokenizers import SentencePieceDecoder
    from language.mixtral_8x7b import demo

    folder = tmp_path_factory.mktemp("mixtral_fixture")
    manifest = demo.build(folder, count=COUNT, seed=1)
    frame = read_frame(folder / "mixtral_15k.pkl", ("dataset", "id", "gt_output", "tok_input"),
                                "the demo pickle", sha256=sha256(folder / "mixtral_15k.pkl"))
    outputs = sorted_batch_outputs(folder, frame)
    decoder = SentencePieceDecoder.from_folder(folder / "model")
    texts = {i: decoder.decode(o) for i, o in outputs.items()}
    return {"folder": folder, "manifest": manifest, "frame": frame, "outputs": outputs, "texts": texts,
            "decoder": decoder}


def labelled_manifest(fixture: dict, where: Path, labels: dict[int, str]) -> tuple[Path, Path]:
    """The fixture's manifest with gt_output of the rows in ``labels`` replaced; (manifest, pickle)."""
    where.mkdir(parents=True, exist_ok=True)
    frame = fixture["frame"].copy()
    for i, label in labels.items():
        frame.loc[i, "gt_output"] = label
    data = where / "mixtral_15k.pkl"
    frame.to_pickle(data)
    return manifest_with_dataset(fixture, where, data), data
