"""ROUGE as the reference LLM evaluators compute it, split over worker processes.

The references call ``evaluate.load("rouge")`` (network) with ``use_stemmer=True`` and
``use_aggregator=False``, which is ``rouge_score``'s RougeScorer per (reference, prediction)
pair; calling rouge_score directly gives the same per-sample F-measures offline. Each metric is
then ``round(mean * 100, 4)`` on a numpy float64, i.e. numpy's half-to-even rounding.

The metric is a mean of per-sample values, so scoring contiguous chunks in parallel and
concatenating them in order gives byte-identical numbers to one process.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from harness import pool as processes
from harness import progress

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
MIN_PER_WORKER = 64  # below this a process costs more than it saves


def postprocess(texts, split) -> list[str]:
    """Strip, then one sentence per line (rougeLsum needs the newlines), as the references do."""
    return ["\n".join(split(text.strip())) for text in texts]


def _chunk_fmeasures(pairs: list[tuple[str, str]], shown: progress.Progress | None = None) -> np.ndarray:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    out = np.empty((len(pairs), len(ROUGE_TYPES)), dtype=np.float64)
    for row, (prediction, reference) in enumerate(pairs):
        scores = scorer.score(target=reference, prediction=prediction)
        out[row] = [scores[name].fmeasure for name in ROUGE_TYPES]
        if shown is not None:
            shown.update()
    return out


def fmeasures(predictions: list[str], references: list[str], workers: int = 1) -> np.ndarray:
    """Per-sample F-measures, shape (n, 4) in ROUGE_TYPES order; ``workers`` processes."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    pairs = list(zip(predictions, references))
    workers = max(1, min(workers, len(pairs) // MIN_PER_WORKER))
    with progress.bar("ROUGE", len(pairs)) as shown:
        return _fmeasures(pairs, workers, shown)


def _fmeasures(pairs: list[tuple[str, str]], workers: int, shown: progress.Progress) -> np.ndarray:
    """This process's pairs count one by one as they are scored; a helper's chunk when it returns."""
    if workers == 1:
        return _chunk_fmeasures(pairs, shown)
    bounds = np.linspace(0, len(pairs), workers + 1).astype(int)
    chunks = [pairs[a:b] for a, b in pairwise(bounds)]
    from rouge_score import rouge_scorer  # noqa: F401 - imported once here, inherited by forked helpers

    # This process scores the first chunk itself while the helpers score the rest.
    with processes.executor(workers - 1) as pool:
        rest = [pool.submit(_chunk_fmeasures, chunk) for chunk in chunks[1:]]
        first = _chunk_fmeasures(chunks[0], shown)
        parts = [first]
        for chunk, future in zip(chunks[1:], rest):
            parts.append(future.result())
            shown.update(len(chunk))
        return np.concatenate(parts)


def aggregate(per_sample: np.ndarray) -> dict[str, float]:
    """``{rouge type: round(mean * 100, 4)}`` with numpy's rounding, as plain Python floats."""
    return {name: float(np.round(np.float64(np.mean(per_sample[:, col])) * 100, 4))
            for col, name in enumerate(ROUGE_TYPES)}


def summary(predictions: list[str], references: list[str], split, workers: int = 1) -> dict:
    """The reference evaluators' dict: rouge1, rouge2, rougeL, rougeLsum, ``gen_len`` (characters of
    the post-processed predictions) and ``gen_num``, as plain Python numbers."""
    preds, refs = postprocess(predictions, split), postprocess(references, split)
    result = aggregate(fmeasures(preds, refs, workers))
    result["gen_len"] = int(sum(len(p) for p in preds))
    result["gen_num"] = len(preds)
    return result

