"""The processed OpenOrca pickle as the QSL: pre-tokenized Llama-2 chat prompts and reference answers.

The pickle is a pandas DataFrame (the reference's processorca.py output); only ``tok_input`` (the
prompt ids, already ending with the "▁" token) and ``output`` (the reference answer) are used.
Unpickling runs code named by the file, so a pickle is opened only when its checksum was verified
(a declared checksum or a MANIFEST entry with sha256/md5).
"""

from __future__ import annotations

import numpy as np

COLUMNS = ("tok_input", "output")


def read_frame(path, digests: dict):
    """The DataFrame at ``path``; refuses a file whose checksum nobody checked."""
    if not any(digests.get(k) for k in ("sha256", "md5")):
        raise ValueError(f"{path}: refusing to unpickle a file without a verified checksum; give its sha256 "
                         "in a MANIFEST (see the dataset artifact's instructions)")
    import pandas as pd

    frame = pd.read_pickle(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {missing}; expected the processed OpenOrca pickle")
    return frame.reset_index(drop=True)


def read_dataset(resolved) -> tuple[list[np.ndarray], list[str]]:
    """(prompt ids per sample as int64, reference answers) in pickle row order."""
    frame = read_frame(resolved.path, resolved.digests)
    prompts = [np.asarray(ids, dtype=np.int64) for ids in frame["tok_input"]]
    return prompts, [str(text) for text in frame["output"]]


def load_tokenizer(folder):
    """The Llama-2 tokenizer as the reference's evaluator sets it up (left padding, pad = eos)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), model_max_length=2048, padding_side="left",
                                              use_fast=False)
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


class OpenOrca:
    """The QSL side: ``count`` rows; prompts are pre-tokenized, so ``load`` only marks them loaded."""

    def __init__(self, artifacts, config):
        self.artifacts, self.config = artifacts, config
        self.all_prompts: list[np.ndarray] = []
        self.targets: list[str] = []
        self.tokenizer = None
        self.prompts: dict[int, np.ndarray] = {}

    def prepare(self) -> None:
        self.all_prompts, self.targets = read_dataset(self.artifacts["dataset"])
        self.tokenizer = load_tokenizer(self.artifacts["model"].path)

    @property
    def count(self) -> int:
        return len(self.targets)

    def load(self, indices) -> None:
        for i in indices:
            self.prompts[i] = self.all_prompts[i]

    def unload(self, indices) -> None:
        for i in indices:
            self.prompts.pop(i, None)

    def prompt_ids(self, index: int) -> np.ndarray:
        return self.all_prompts[index]
