"""Score RNN-T responses as upstream's accuracy_eval.py does.

Every log entry counts, in log order (upstream does not drop repeated qsl indices); each
response is label ids, joined into a string through the labels and compared with the normalised
reference transcript of its qsl index. The verdict reads the accuracy (100 - WER %) from the
printed line, as the submission checker does.
"""

from __future__ import annotations

from harness.score import Score

from . import text
from .wer import corpus_wer, wer_line

DTYPES = ("int8", "int16", "int32", "int64")  # upstream's --output_dtype


def score_transcripts(decoded, references: list[str]) -> Score:
    """``decoded``: ``(qsl_idx, label ids)`` of every response in log order; ``references``: the
    normalised transcripts in qsl order."""
    hypotheses, refs, seen = [], [], set()
    for idx, ids in decoded:
        seen.add(idx)
        hypotheses.append(text.to_text(ids))
        refs.append(references[idx])
    wer, errors, words = corpus_wer(hypotheses, refs)
    line = wer_line(wer)
    notes = [] if len(seen) == len(references) else [
        f"partial run: {len(seen)} of {len(references)} utterances scored"]
    return Score(values={"WER": (1 - wer) * 100}, lines=[line], scored=len(seen),
                 duplicates=len(hypotheses) - len(seen),
                 details={"errors": errors, "words": words, "wer_percent": wer * 100}, notes=notes)


def score(responses, dataset, run) -> Score:
    """The run's scorer: every response of the log against the dataset's references."""
    return score_transcripts(responses.every(), dataset.references)
