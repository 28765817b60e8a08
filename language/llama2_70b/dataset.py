"""The processed OpenOrca pickle as the QSL: pre-tokenized Llama-2 chat prompts and reference answers.

The pickle is a pandas DataFrame (the reference's processorca.py output), read when the dataset is
built; only ``tok_input`` (the prompt ids, already ending with the "▁" token) and ``output`` (the
reference answer) are used. It is read through harness.pickles (an allow-list unpickler), never by plain unpickling.
"""

from __future__ import annotations

import numpy as np

from harness.pickles import read_frame
from language.llm.qsl import PromptDataset

COLUMNS = ("tok_input", "output")
WHAT = "the processed OpenOrca pickle"


class OpenOrca(PromptDataset):
    """The QSL side: the pickle's rows; prompts are pre-tokenized, so no tokenizer is needed."""

    def __init__(self, run):
        super().__init__(run)
        resolved = run.artifacts["dataset"]
        frame = read_frame(resolved.path, COLUMNS, WHAT, sha256=resolved.digests.get("sha256"),
                                    md5=resolved.digests.get("md5"))
        self.token_inputs = frame["tok_input"].tolist()
        self.targets = [str(text) for text in frame["output"]]

    @property
    def size(self) -> int:
        return len(self.targets)

    def encode(self, index: int) -> np.ndarray:
        return np.asarray(self.token_inputs[index], dtype=np.int64)
