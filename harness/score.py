"""What a benchmark's scorer returns: named values, the reference-format lines, and counts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Score:
    """``values`` feed the verdict (names as in the targets); ``lines`` are printed exactly as the
    upstream script prints them and the first ones go to accuracy.txt for the submission checker."""

    values: dict[str, float]
    lines: list[str]
    scored: int
    duplicates: int = 0
    details: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
