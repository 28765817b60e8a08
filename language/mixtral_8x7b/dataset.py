"""The 15k Mixtral prompts (OpenOrca, GSM8K, MBXP), read from the dataset pickle when the dataset is built.

The reference SUT feeds the pre-tokenized ``tok_input`` column as is (no re-tokenization) and
routes MBXP rows to a stop rule; the scorer needs ``dataset``, ``id`` and ``gt_output``. The
pickle is read through harness.pickles (an allow-list unpickler), never by plain unpickling.
"""

from __future__ import annotations

import numpy as np

from harness.pickles import read_frame
from language.llm.qsl import PromptDataset

SCORED_COLUMNS = ("dataset", "id", "gt_output")
WHAT = "the Mixtral 15k dataset pickle"


class MixtralQsl(PromptDataset):
    """The QSL side: the pickle's rows; prompts are pre-tokenized, so no tokenizer is needed."""

    def __init__(self, run):
        super().__init__(run)
        resolved = run.artifacts["dataset"]
        self.frame = read_frame(resolved.path, (*SCORED_COLUMNS, "tok_input"), WHAT,
                                         sha256=resolved.digests.get("sha256"), md5=resolved.digests.get("md5"))

    @property
    def size(self) -> int:
        return len(self.frame)

    def is_mbxp(self, index: int) -> bool:
        return self.frame["dataset"].iloc[index] == "MBXP"

    def encode(self, index: int) -> np.ndarray:
        return np.asarray(self.frame["tok_input"].iloc[index], dtype=np.int64)
