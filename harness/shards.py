"""Split one evaluation over processes or machines, and merge the pieces back into one log.

``SHARDS=N SHARD=i`` runs the i-th of N contiguous slices of the first N_COUNT samples. LoadGen
numbers a shard's samples from 0, so the shard's run directory records its offset, and
``python -m harness merge`` rebuilds one accuracy log with the dataset's own indices, whatever the
number of shards and the order they are given in. Scoring the merged log equals scoring an
unsharded run.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError


def slice_of(count: int, shards: int, shard: int) -> tuple[int, int]:
    """``[start, stop)`` of shard ``shard``: sizes differ by at most one, earlier shards larger."""
    base, extra = divmod(count, shards)
    start = shard * base + min(shard, extra)
    return start, start + base + (1 if shard < extra else 0)


class Offset:
    """Presents samples ``start..start+n-1`` of a dataset and backend as LoadGen's ``0..n-1``."""

    def __init__(self, target, start: int):
        self.target, self.start = target, start

    def load(self, indices):
        self.target.load([self.start + i for i in indices])

    def unload(self, indices):
        self.target.unload([self.start + i for i in indices])

    def predict(self, indices):
        return self.target.predict([self.start + i for i in indices])


def globalize(entries: list[dict], offset: int) -> list[dict]:
    return [dict(e, qsl_idx=int(e["qsl_idx"]) + offset) for e in entries]


def write_accuracy_log(path: Path, entries: list[dict]) -> None:
    """LoadGen's layout: one entry per line, seq_id renumbered in file order."""
    lines = []
    for seq, entry in enumerate(entries):
        fields = {"seq_id": seq, **{k: v for k, v in entry.items() if k != "seq_id"}}
        lines.append("{ " + ", ".join(f'"{k}" : {json.dumps(v)}' for k, v in fields.items()) + " }")
    path.write_text("[\n" + ",\n".join(lines) + ("\n" if lines else "") + "]\n")


def collect(run_dirs: list[Path]) -> tuple[dict, list[dict]]:
    """The shards' common configuration and their entries with global indices, in shard order.

    Refuses shards of different benchmarks or settings, duplicates and gaps."""
    shards = []
    for run_dir in run_dirs:
        result_file = Path(run_dir) / "result.json"
        if not result_file.is_file():
            raise UsageError(f"{run_dir} is not a finished run directory (no result.json)")
        result = json.loads(result_file.read_text())
        if "shard" not in result:
            raise UsageError(f"{run_dir} is not a shard run (it was not started with SHARDS/SHARD)")
        shards.append((result, Path(run_dir)))
    shards.sort(key=lambda item: item[0]["shard"]["index"])
    first = shards[0][0]
    same = ("benchmark", "scenario", "n_count", "data_type", "backend")
    for result, run_dir in shards:
        if result["status"] != "completed":
            raise UsageError(f"{run_dir} did not complete ({result.get('error', result['status'])})")
        mismatch = [k for k in same if (result["config"] if k != "benchmark" else result).get(k)
                    != (first["config"] if k != "benchmark" else first).get(k)]
        if mismatch or result["shard"]["count"] != first["shard"]["count"]:
            raise UsageError(f"{run_dir} differs from the other shards in {', '.join(mismatch) or 'SHARDS'}")
    found = [r["shard"]["index"] for r, _ in shards]
    expected = list(range(first["shard"]["count"]))
    if found != expected:
        missing = sorted(set(expected) - set(found))
        dupes = sorted({i for i in found if found.count(i) > 1})
        raise UsageError(f"shards do not cover the run once each: missing {missing}, repeated {dupes}")
    entries: list[dict] = []
    for result, run_dir in shards:
        log = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
        entries.extend(globalize(log, result["shard"]["start"]))
    return first, entries
