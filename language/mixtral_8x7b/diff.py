"""How two Mixtral-8x7B runs differ: every token as the scorer reads it, decoded with the checkpoint's
sentencepiece model; ROUGE against the reference for the OpenOrca rows only, as the metric scores
them (GSM8K and MBXP rows are compared by tokens and texts). See language/llm/diff.py."""

from __future__ import annotations

import numpy as np

from language.llm import diff, sentences
from language.llm.tokenizers import SentencePieceDecoder


def references(dataset) -> list[str | None]:
    """The reference answer of each OpenOrca row; None for the rows the metric does not score by ROUGE."""
    frame = dataset.frame
    return [text if kind == "OpenOrca" else None for kind, text in zip(frame["dataset"], frame["gt_output"])]


def compare_outputs(pairs, context):
    decoder = context.optional("decoded texts", lambda: SentencePieceDecoder.from_folder(
        context.artifacts("model")["model"].path))
    split = context.optional("ROUGE", lambda: sentences.run_splitter(context.artifacts("punkt")["punkt"]))
    refs = context.optional("ROUGE", lambda: references(context.dataset("dataset"))) if split else None
    return diff.compare(pairs, lambda values: np.asarray(values).astype(np.int64),
                        decoder.batch_decode if decoder else None, refs, split, context.workers)
