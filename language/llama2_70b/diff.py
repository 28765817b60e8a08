"""How two Llama-2-70B runs differ: tokens as the scorer reads them (cut at the first EOS), decoded
with the checkpoint's sentencepiece model, ROUGE against OpenOrca's answers (language/llm/diff.py)."""

from __future__ import annotations

import numpy as np

from language.llm import diff, sentences
from language.llm.tokenizers import SentencePieceDecoder

from .metric import EOS


def token_ids(values) -> np.ndarray:
    """metric.token_ids in numpy (no Python int per token): the ids before the first EOS.

        >>> from .metric import token_ids as scored
        >>> examples = (np.array([5, 6, 2, 2]), np.array([5.0, 7.0], np.float32), np.array([2, 5]), np.array([], int))
        >>> [token_ids(v).tolist() == scored(v) for v in examples]
        [True, True, True, True]
    """
    ids = np.asarray(values, dtype=np.int64)  # no copy of an int64 response
    hit = ids == EOS
    first = int(hit.argmax()) if hit.size else 0
    return ids[:first] if hit.size and hit[first] else ids


def compare_outputs(pairs, context):
    decoder = context.optional("decoded texts", lambda: SentencePieceDecoder.from_folder(
        context.artifacts("model")["model"].path))
    split = context.optional("ROUGE", lambda: sentences.run_splitter(context.artifacts("punkt")["punkt"]))
    references = context.optional("ROUGE", lambda: context.dataset("dataset").targets) if split else None
    return diff.compare(pairs, token_ids, decoder.batch_decode if decoder else None, references, split, context.workers)
