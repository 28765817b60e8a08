"""Score BERT responses: logits -> answers -> official SQuAD v1.1 EM and F1.

Which questions count: those whose features ALL have a response in the log. After a full run
that is every question, and the numbers equal the reference's. After a partial run (N_COUNT
features, the reference's unit) the question cut by the boundary and the ones never reached
are left out, and the mean is over the questions scored; the reference instead answers every
missing question with "empty" (or, with --max_examples, divides by questions it never scored).
A question left out is stated in the notes, never silently.

Several responses to one sample: the last in the log counts, as in the reference scorer (its
results are a dict keyed by the feature). Only MultiStream's padding repeats samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness.score import Score

from . import predictions as answers
from . import squad_eval


@dataclass
class Coverage:
    scored: list[int] = field(default_factory=list)  # example indices, in file order
    cut: list[int] = field(default_factory=list)  # some but not all features answered
    features_scored: int = 0


def last_responses(responses) -> tuple[dict[int, tuple], int]:
    """``({feature index: (start, end)}, repeats ignored)``: the last response per sample counts."""
    logits: dict[int, tuple] = {}
    total = 0
    for idx, start_end in responses.every():
        logits[idx] = start_end
        total += 1
    return logits, total - len(logits)


def coverage(features, n_examples: int, answered, max_examples: int | None = None) -> Coverage:
    """Which examples have every feature answered (within the first ``max_examples``)."""
    by_example: list[list[int]] = [[] for _ in range(n_examples)]
    for index, feature in enumerate(features):
        by_example[feature.example_index].append(index)
    everything = len(answered) == len(features)
    out = Coverage()
    limit = n_examples if not max_examples else min(max_examples, n_examples)
    for example_index in range(limit):
        mine = by_example[example_index]
        done = sum(1 for i in mine if i in answered)
        if done == len(mine) and (mine or everything):  # a featureless question counts once all ran
            out.scored.append(example_index)
            out.features_scored += done
        elif done:
            out.cut.append(example_index)
    return out


def notes_for(cover: Coverage, n_examples: int) -> list[str]:
    if len(cover.scored) == n_examples:
        return []
    notes = [f"partial: EM and F1 over the {len(cover.scored)} of {n_examples} questions whose "
             f"features all ran ({cover.features_scored} features); the official score needs all"]
    if cover.cut:
        notes.append(f"{len(cover.cut)} question(s) with only some features in the log left out "
                     f"(first: example {cover.cut[0]})")
    return notes


def score_logits(logits: dict[int, tuple], examples, features, max_examples=None,
                 duplicates: int = 0) -> tuple[Score, dict[str, str]]:
    """The Score and the predictions ``{qas_id: answer}`` of the scored questions, from
    ``{feature index: (start logits, end logits)}``."""
    cover = coverage(features, len(examples), logits, max_examples)
    if not cover.scored:
        raise ValueError("no question has all of its features in the accuracy log")
    by_example: dict[int, list] = {i: [] for i in cover.scored}
    for index, feature in enumerate(features):
        if feature.example_index in by_example:
            by_example[feature.example_index].append((feature, *logits[index]))
    predicted = {examples[i].qas_id: answers.predict(examples[i], by_example[i]) for i in cover.scored}
    result = squad_eval.evaluate([(examples[i].qas_id, examples[i].answers) for i in cover.scored], predicted)
    line = squad_eval.result_line(result)
    score = Score(
        values={"F1": result["f1"], "exact_match": result["exact_match"]},
        lines=[line], scored=cover.features_scored, duplicates=duplicates,
        details={"questions_scored": len(cover.scored), "questions_total": len(examples),
                 "questions_cut": len(cover.cut), "features_in_log": len(logits)},
        notes=notes_for(cover, len(examples)))
    return score, predicted


def write_predictions(path, predicted: dict[str, str]) -> None:
    """``{qas_id: answer}`` as the reference writes predictions.json."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(predicted, indent=4) + "\n", encoding="utf-8")


def score(responses, dataset, run) -> Score:
    """The run's scorer; the answers go to predictions.json in the run directory."""
    logits, duplicates = last_responses(responses)
    scored, predicted = score_logits(logits, dataset.examples, dataset.features, duplicates=duplicates)
    if run.run_dir is not None:
        write_predictions(run.run_dir / "predictions.json", predicted)
    return scored
