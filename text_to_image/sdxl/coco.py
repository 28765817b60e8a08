"""The COCO 2014 caption set of the reference and the ids whose images a submission shows.

``captions_source.tsv`` has a header and the columns id, image_id, caption, height, width,
file_name, coco_url; eight captions hold double quotes and are CSV-quoted with doubled quotes,
so the file is read with the csv module (as pandas reads it upstream), never split on tabs.
Row i is QSL index i.
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = ("id", "image_id", "caption", "height", "width", "file_name", "coco_url")


def read_captions(path) -> list[str]:
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{path} is not the reference's captions TSV: expected the header {'|'.join(COLUMNS)}")
    bad = [i for i, row in enumerate(rows[1:]) if len(row) != len(COLUMNS)]
    if bad:
        raise ValueError(f"{path}: row {bad[0]} has a wrong number of columns")
    return [row[2] for row in rows[1:]]


def read_sample_ids(path) -> list[int]:
    """The indices whose images are saved for a person to look at (tools/sample_ids.txt)."""
    return [int(line) for line in Path(path).read_text().split() if line.strip()]


def write_captions(path, captions: list[str]) -> None:
    """A captions TSV in the reference's layout (for fixtures)."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for i, caption in enumerate(captions):
            writer.writerow([i + 1, 100000 + i, caption, 32, 32, f"COCO_val2014_{100000 + i:012d}.jpg",
                             f"http://images.cocodataset.org/val2014/COCO_val2014_{100000 + i:012d}.jpg"])
