"""How the LLM accuracy commands print a score: the reference's result block on stdout, the rest on stderr."""

from __future__ import annotations

import sys

from harness.score import Score


def print_score(score: Score, verbose: bool, extra: tuple[str, ...] = ()) -> None:
    """``extra`` lines are shown with --verbose only (per-task counts and the like)."""
    if verbose:
        print(f"scored {score.scored} samples, {score.duplicates} duplicate responses ignored", file=sys.stderr)
        for line in extra:
            print(line, file=sys.stderr)
    for note in score.notes:
        print(f"note: {note}", file=sys.stderr)
    print("\nResults\n")
    for line in score.lines:
        print(line)
