"""How two GPT-J runs differ: every token, decoded with the checkpoint's tokenizer as the scorer
decodes, ROUGE against the CNN/DailyMail highlights (language/llm/diff.py)."""

from __future__ import annotations

import numpy as np

from language.llm import diff, sentences
from language.llm.tokenizers import load_tokenizer

from .metric import decode_texts


def compare_outputs(pairs, context):
    tokenizer = context.optional("decoded texts", lambda: load_tokenizer(context.artifacts("model")["model"].path))
    split = context.optional("ROUGE", lambda: sentences.run_splitter(context.artifacts("punkt")["punkt"]))
    references = context.optional("ROUGE", lambda: context.dataset("dataset").targets) if split else None
    decode = (lambda rows: decode_texts(tokenizer, rows)) if tokenizer is not None else None
    return diff.compare(pairs, lambda values: np.asarray(values).astype(np.int64), decode, references, split,
                        context.workers)
