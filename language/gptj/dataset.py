"""CNN/DailyMail validation articles as GPT-J prompts (the reference's Alpaca template).

Each prompt is tokenized on its own, truncated to 1919 tokens (keeping the start, so a long
article loses its end and the "### Response:" suffix, as in the reference). Only the samples
LoadGen loads are tokenized (the reference tokenizes all 13,368 up front).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MAX_PROMPT_TOKENS = 1919
PROMPT = ("Below is an instruction that describes a task, paired with an input that provides further context. "
          "Write a response that appropriately completes the request.\n\n"
          "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:")


def read_records(path) -> list[dict]:
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(records, list) or not records or not {"instruction", "input", "output"} <= set(records[0]):
        raise ValueError(f"{path}: expected a JSON list of {{instruction, input, output}} records (cnn_eval.json)")
    return records


def prompt_of(record: dict) -> str:
    return PROMPT.format_map(record)


def load_tokenizer(folder):
    """The GPT-J tokenizer as the reference sets it up: left padding, pad = eos, 2048 positions."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), model_max_length=2048, padding_side="left",
                                              use_fast=False)
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def encode(tokenizer, text: str) -> np.ndarray:
    ids = tokenizer(text, truncation=True, max_length=MAX_PROMPT_TOKENS)["input_ids"]
    return np.asarray(ids, dtype=np.int64)


class CnnDailyMail:
    """The QSL side: ``count`` records; ``load`` tokenizes prompts into memory."""

    def __init__(self, artifacts, config):
        self.artifacts, self.config = artifacts, config
        self.records: list[dict] = []
        self.tokenizer = None
        self.prompts: dict[int, np.ndarray] = {}

    def prepare(self) -> None:
        self.records = read_records(self.artifacts["dataset"].path)
        self.tokenizer = load_tokenizer(self.artifacts["model"].path)

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def targets(self) -> list[str]:
        return [record["output"] for record in self.records]

    def load(self, indices) -> None:
        for i in indices:
            if i not in self.prompts:
                self.prompts[i] = encode(self.tokenizer, prompt_of(self.records[i]))

    def unload(self, indices) -> None:
        for i in indices:
            self.prompts.pop(i, None)

    def prompt_ids(self, index: int) -> np.ndarray:
        if index not in self.prompts:  # a backend may ask before LoadGen loads (e.g. a resumed run)
            self.load([index])
        return self.prompts[index]
