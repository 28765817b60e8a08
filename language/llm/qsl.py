"""The QSL side the LLM benchmarks share: prompt token ids per dataset index, kept while loaded."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from harness.contract import Dataset


class PromptDataset(Dataset):
    """``load`` keeps the prompt ids (int64) of each index in memory, ``unload`` drops them; a
    subclass says how one prompt is made (``encode``) and how many samples its files hold."""

    def __init__(self, run):
        super().__init__(run)
        self.prompts: dict[int, np.ndarray] = {}

    @abstractmethod
    def encode(self, index: int) -> np.ndarray:
        """The prompt ids of one sample, int64."""

    def load(self, indices) -> None:
        for i in indices:
            if i not in self.prompts:
                self.prompts[i] = self.encode(i)

    def unload(self, indices) -> None:
        for i in indices:
            self.prompts.pop(i, None)

    def loaded(self) -> list[int]:
        return list(self.prompts)

    def prompt_ids(self, index: int) -> np.ndarray:
        if index not in self.prompts:  # a backend may ask before LoadGen loads (e.g. a resumed run)
            self.load([index])
        return self.prompts[index]
