"""How two RNN-T runs differ: the word error rate of each utterance's transcript in run B against
run A's (A as the reference, as wer.corpus_wer counts errors and words)."""

from __future__ import annotations

from harness.diff import Comparison

from .text import to_text
from .wer import word_distance


def compare_outputs(pairs, context=None) -> Comparison:
    total = errors = words = 0
    rows = []
    for index, a, b in pairs:
        text_a, text_b = to_text(a), to_text(b)
        reference = text_a.split()
        total, words = total + 1, words + len(reference)
        if text_a == text_b:
            continue
        distance = word_distance(text_b.split(), reference)
        errors += distance
        rows.append({"index": index, "wer": distance / len(reference) if reference else None,
                     "word_errors": distance, "words_a": len(reference), "text_a": text_a, "text_b": text_b})
    rows.sort(key=lambda r: (-(r["wer"] if r["wer"] is not None else float("inf")), r["index"]))
    figures = {"utterances": total, "identical_transcripts": total - len(rows), "word_errors": errors,
               "words_a": words, "wer": errors / words if words else None}
    return Comparison(figures, rows, "utterances whose transcripts differ, highest WER first")
