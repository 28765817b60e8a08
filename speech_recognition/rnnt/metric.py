"""Score an RNN-T accuracy log as upstream's accuracy_eval.py does.

Every log entry counts, in log order (upstream does not drop repeated qsl indices); each
response is int64 label ids (or the dtype given), joined into a string through the labels and
compared with the normalised reference transcript of its qsl index. The verdict reads the
accuracy (100 - WER %) from the printed line, as the submission checker does.
"""

from __future__ import annotations

import numpy as np

from harness.codecs import read_accuracy_log
from harness.score import Score

from . import text
from .wer import corpus_wer, wer_line

DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64}


def score_entries(entries: list[dict], references: list[str], dtype: str = "int64") -> Score:
    if not entries:
        raise ValueError("no responses to score: the accuracy log is empty")
    little = np.dtype(DTYPES[dtype]).newbyteorder("<")
    hypotheses, refs, seen = [], [], set()
    for entry in entries:
        idx = int(entry["qsl_idx"])
        if not 0 <= idx < len(references):
            raise ValueError(f"the accuracy log has qsl_idx {idx}, but the manifest keeps {len(references)}")
        seen.add(idx)
        hypotheses.append(text.to_text(np.frombuffer(bytes.fromhex(entry["data"]), dtype=little)))
        refs.append(references[idx])
    wer, errors, words = corpus_wer(hypotheses, refs)
    line = wer_line(wer)
    notes = [] if len(seen) == len(references) else [
        f"partial run: {len(seen)} of {len(references)} utterances scored"]
    return Score(values={"WER": (1 - wer) * 100}, lines=[line], scored=len(seen),
                 duplicates=len(entries) - len(seen),
                 details={"errors": errors, "words": words, "wer_percent": wer * 100}, notes=notes)


def score_run(log_path, dataset) -> Score:
    return score_entries(read_accuracy_log(log_path), dataset.references)
