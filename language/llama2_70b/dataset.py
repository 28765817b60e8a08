"""The processed OpenOrca pickle as the QSL: pre-tokenized Llama-2 chat prompts and reference answers.

The pickle is a pandas DataFrame (the reference's processorca.py output); only ``tok_input`` (the
prompt ids, already ending with the "▁" token) and ``output`` (the reference answer) are used.
Unpickling runs code named by the file, so a pickle is opened only when its checksum was verified
(a declared checksum or a MANIFEST entry with sha256/md5).
"""

from __future__ import annotations

import numpy as np

from language.llm.pickles import read_verified_frame

COLUMNS = ("tok_input", "output")


def read_frame(path, digests: dict):
    """The DataFrame at ``path``; refuses a file whose checksum is not given or does not match."""
    return read_verified_frame(path, COLUMNS, "the processed OpenOrca pickle",
                               sha256=digests.get("sha256"), md5=digests.get("md5"))


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
