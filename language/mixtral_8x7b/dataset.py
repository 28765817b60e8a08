"""The 15k Mixtral prompts (OpenOrca, GSM8K, MBXP), read from a pickle only after its sha256 matched.

The reference SUT feeds the pre-tokenized ``tok_input`` column as is (no re-tokenization) and
routes MBXP rows to a stop rule; the evaluator needs ``dataset``, ``id``, ``input`` and
``gt_output``. A pickle executes code when loaded, so the file is hashed right before
``pandas.read_pickle`` and refused unless the hash equals the one it was declared with.
"""

from __future__ import annotations

import numpy as np

from language.llm.pickles import read_verified_frame

COLUMNS = ("dataset", "id", "input", "gt_output", "tok_input")


def read_verified_pickle(path, expected_sha256: str | None):
    """The DataFrame in ``path``; raises unless its sha256 equals ``expected_sha256``."""
    return read_verified_frame(path, COLUMNS, "the Mixtral 15k dataset pickle", sha256=expected_sha256)


def load_tokenizer(folder):
    """As the reference sets it up: left padding, pad = eos, 2048 positions."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), model_max_length=2048, padding_side="left")
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


class MixtralQsl:
    """The QSL side: ``count`` rows; ``load`` keeps their token ids (int64) in memory."""

    def __init__(self, artifacts, config):
        self.artifacts, self.config = artifacts, config
        self.frame = None
        self.tokenizer = None
        self.prompts: dict[int, np.ndarray] = {}

    def prepare(self) -> None:
        resolved = self.artifacts["dataset"]
        self.frame = read_verified_pickle(resolved.path, resolved.digests.get("sha256"))
        self.tokenizer = load_tokenizer(self.artifacts["model"].path)

    @property
    def count(self) -> int:
        return len(self.frame)

    @property
    def kinds(self) -> list[str]:
        return self.frame["dataset"].tolist()

    def is_mbxp(self, index: int) -> bool:
        return self.frame["dataset"].iloc[index] == "MBXP"

    def load(self, indices) -> None:
        for i in indices:
            if i not in self.prompts:
                self.prompts[i] = np.asarray(self.frame["tok_input"].iloc[i], dtype=np.int64)

    def unload(self, indices) -> None:
        for i in indices:
            self.prompts.pop(i, None)

    def prompt_ids(self, index: int) -> np.ndarray:
        if index not in self.prompts:
            self.load([index])
        return self.prompts[index]
