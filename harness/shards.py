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

    @property
    def continuous(self) -> bool:
        return self.target.continuous

    def submit(self, indices, first_token, done) -> None:
        self.target.submit([self.start + i for i in indices], first_token, done)

    def cancel(self) -> None:
        self.target.cancel()


def globalize(entries: list[dict], offset: int) -> list[dict]:
    return [dict(e, qsl_idx=int(e["qsl_idx"]) + offset) for e in entries]


def write_accuracy_log(path: Path, entries: list[dict]) -> None:
    """LoadGen's layout: one entry per line, seq_id renumbered in file order."""
    lines = []
    for seq, entry in enumerate(entries):
        fields = {"seq_id": seq, **{k: v for k, v in entry.items() if k != "seq_id"}}
        lines.append("{ " + ", ".join(f'"{k}" : {json.dumps(v)}' for k, v in fields.items()) + " }")
    path.write_text("[\n" + ",\n".join(lines) + ("\n" if lines else "") + "]\n")


def _identity(result: dict) -> dict:
    """What must be equal across the shards of one run: the benchmark, its settings, the model and
    data by their digests, the backend's settings and the harness revision."""
    config = result.get("config", {})
    return {
        "benchmark": result.get("benchmark"),
        **{k: config.get(k) for k in ("scenario", "n_count", "data_type", "backend", "mode", "options")},
        "SHARDS": result.get("shard", {}).get("count"),
        "artifacts": {name: art.get("digests") for name, art in result.get("artifacts", {}).items()},
        "backend settings": result.get("backend_settings"),
        "harness revision": result.get("provenance", {}).get("harness"),
    }


def _check_log(run_dir: Path) -> None:
    """The shard's accuracy log is the one its accuracy.txt was computed from (``hash=``)."""
    from .hashing import file_digest

    lines = (run_dir / "accuracy.txt").read_text().splitlines() if (run_dir / "accuracy.txt").is_file() else []
    recorded = lines[-1].partition("hash=")[2].strip() if lines else ""
    actual = file_digest(run_dir / "mlperf_log_accuracy.json", "sha256")
    if recorded != actual:
        raise UsageError(f"{run_dir}: mlperf_log_accuracy.json has sha256 {actual}, but its accuracy.txt says "
                         f"hash={recorded or '(none)'}; the log was changed after the shard ran")


def collect(run_dirs: list[Path]) -> tuple[dict, list[dict]]:
    """The shards' common configuration and their entries with global indices, in shard order.

    Refuses shards of different benchmarks, settings, models, backends or harness revisions, logs
    changed since they were scored, duplicates and gaps."""
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
    expected = _identity(first)
    for result, run_dir in shards:
        if result["status"] != "completed":
            raise UsageError(f"{run_dir} did not complete ({result.get('error', result['status'])})")
        mismatch = [k for k, v in _identity(result).items() if v != expected[k]]
        if mismatch:
            raise UsageError(f"{run_dir} differs from the other shards in {', '.join(mismatch)}; shards of one "
                             "run must share the model, data, settings and harness revision")
        _check_log(run_dir)
    found = [r["shard"]["index"] for r, _ in shards]
    expected_indices = list(range(first["shard"]["count"]))
    if found != expected_indices:
        missing = sorted(set(expected_indices) - set(found))
        dupes = sorted({i for i in found if found.count(i) > 1})
        raise UsageError(f"shards do not cover the run once each: missing {missing}, repeated {dupes}")
    entries: list[dict] = []
    for result, run_dir in shards:
        log = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
        entries.extend(globalize(log, result["shard"]["start"]))
    return first, entries
