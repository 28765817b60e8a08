"""CNN/DailyMail validation articles as GPT-J prompts (the reference's Alpaca template).

The records (and so the reference summaries the scorer needs) are read when the dataset is built.
Each prompt is tokenized on its own, truncated to 1919 tokens (keeping the start, so a long
article loses its end and the "### Response:" suffix, as in the reference). Only the samples
LoadGen loads are tokenized (the reference tokenizes all 13,368 up front).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from language.llm.qsl import PromptDataset
from language.llm.tokenizers import load_tokenizer

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


def encode(tokenizer, text: str) -> np.ndarray:
    ids = tokenizer(text, truncation=True, max_length=MAX_PROMPT_TOKENS)["input_ids"]
    return np.asarray(ids, dtype=np.int64)


class CnnDailyMail(PromptDataset):
    """The QSL side: the records of cnn_eval.json; ``prepare`` loads the tokenizer of the checkpoint."""

    def __init__(self, run):
        super().__init__(run)
        self.records = read_records(run.artifact_path("dataset"))
        self.tokenizer = None

    @property
    def size(self) -> int:
        return len(self.records)

    @property
    def targets(self) -> list[str]:
        return [record["output"] for record in self.records]

    def prepare(self) -> None:
        self.tokenizer = load_tokenizer(self.run.artifact_path("model"))

    def encode(self, index: int) -> np.ndarray:
        return encode(self.tokenizer, prompt_of(self.records[index]))
