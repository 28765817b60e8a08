"""``python -m harness diff RUN_A RUN_B``: where two runs of one benchmark differ, sample by sample.

Bring-up's question: where do my accelerator's outputs differ from the golden run? Both accuracy
logs are decoded with the benchmark's codec (first response per sample) and paired by dataset index
(a shard run's log counts from 0: its ``shard.start`` is added). The benchmark's own comparison,
declared as ``diff="<pkg>.<module>:compare_outputs"``, turns the pairs into named figures and
per-sample rows; a benchmark without one gets the exact comparison below. Run A is the reference
(the golden run), run B the one being brought up: every difference is B - A.

``compare(run_a, run_b)`` returns a JSON-serialisable dict; ``render`` is its console text.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import artifacts, registry
from .command_settings import scoring_settings
from .codecs import Responses, iter_accuracy_log
from .declaration import load_object
from .errors import HarnessError, UsageError
from .verdict import format_table

ACCURACY_LOG = "mlperf_log_accuracy.json"


@dataclass
class Comparison:
    """What a benchmark's ``compare_outputs(pairs, context)`` returns."""

    figures: dict  # named figures, e.g. {"top1_agreement": 63}
    rows: list = field(default_factory=list)  # one dict per sample (with "index"), in the order to show
    rows_note: str = ""  # which samples the rows are, in which order
    notes: list = field(default_factory=list)


class Context:
    """What a comparison may need beyond the outputs, built on request from run A's record: artifacts
    resolved as the accuracy commands resolve them (``artifacts.for_scoring``; DATA_DIR, MANIFEST and
    DATA_SOURCE from the environment where set, else the run's own) and the dataset (references)."""

    def __init__(self, bench, result: dict):
        self.bench, self.result, self.notes = bench, result, []
        recorded = result.get("config", {})
        self.env = {var: str(recorded[key]) for key, var in (("data_dir", "DATA_DIR"), ("manifest", "MANIFEST"),
                                                                ("data_source", "DATA_SOURCE")) if recorded.get(key)}
        # where set, the shell's DATA_DIR, MANIFEST, ... beat the run's own (scoring_settings picks them)
        self.env.update({k: v for k, v in os.environ.items() if v})

    @property
    def workers(self) -> int:
        return scoring_settings(self.bench, self.env).workers

    def artifacts(self, *names) -> dict:
        return artifacts.for_scoring(self.bench, names, self.env)

    def dataset(self, *artifact_names):
        """The benchmark's dataset (references only: never prepared), built with these artifacts."""
        from .contract import Run

        resolved = self.artifacts(*(artifact_names or [a.name for a in self.bench.artifacts]))
        run = Run(self.bench, scoring_settings(self.bench, self.env), resolved, range(0), None,
                  bool(self.result.get("demo")))
        return load_object(self.bench.dataset)(run)

    def optional(self, what: str, build):
        """``build()``, or None and a note when what it needs is not here (logs copied without artifacts)."""
        try:
            return build()
        except (HarnessError, OSError, ValueError, ImportError, KeyError) as exc:
            self.notes.append(f"{what} skipped: {exc}")
            return None


class Pairs:
    """``(index, output_a, output_b)`` for each dataset index both logs hold. Both logs are read in
    step, so memory holds only the samples one log has reached and the other not yet (none when both
    are in the same order); afterwards ``counts``, ``paired`` and ``only`` (indices per side) are set."""

    def __init__(self, stream_a, stream_b):
        self.streams, self.counts, self.paired, self.only = (stream_a, stream_b), [0, 0], 0, ([], [])

    def __iter__(self):
        streams, waiting, live = [iter(s) for s in self.streams], [{}, {}], [True, True]
        while any(live):
            for side in (0, 1):
                item = next(streams[side], None) if live[side] else None
                if item is None:
                    if live[side]:  # this log is done: what the other holds can no longer pair
                        live[side], waiting[1 - side] = False, dict.fromkeys(waiting[1 - side])
                    continue
                index, output = item
                self.counts[side] += 1
                if index in waiting[1 - side]:
                    other = waiting[1 - side].pop(index)
                    self.paired += 1
                    yield (index, output, other) if side == 0 else (index, other, output)
                else:
                    waiting[side][index] = output if live[1 - side] else None
        self.only = tuple(sorted(w) for w in waiting)


def exact_outputs(pairs, context=None) -> Comparison:
    """The comparison of a benchmark that declares none: which samples' decoded outputs are identical."""
    total, rows = 0, []
    for index, a, b in pairs:
        total += 1
        parts_a, parts_b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
        if len(parts_a) != len(parts_b) or not all(map(np.array_equal, parts_a, parts_b)):
            rows.append({"index": index})
    rows.sort(key=lambda row: row["index"])
    return Comparison({"samples": total, "identical": total - len(rows), "differ": len(rows)}, rows,
                      "samples whose decoded outputs differ, by index")


def read_run(path) -> dict:
    """The result.json of a run directory with outputs to compare, or UsageError saying what is wrong."""
    folder = Path(path)
    if not folder.is_dir():
        raise UsageError(f"{path} is not a run directory: no such folder "
                         "(give logs/<name>/<Scenario>/<data_type>/<run>)")
    try:
        result = json.loads((folder / "result.json").read_text())
    except FileNotFoundError:
        raise UsageError(f"{path} is not a run directory: it has no result.json "
                         "(a run directory is logs/<name>/<Scenario>/<data_type>/<run>)") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder / 'result.json'} cannot be read as a run record: {exc}") from None
    if not isinstance(result, dict) or not isinstance(result.get("benchmark"), str):
        raise UsageError(f"{folder / 'result.json'} is not a run record: it names no benchmark")
    if result.get("config", {}).get("mode") == "performance":
        raise UsageError(f"{path} is a performance run (MODE=performance): it logs no outputs to compare; "
                         "give two accuracy runs")
    log = folder / ACCURACY_LOG
    if not log.is_file():
        raise UsageError(f"{path} has no {ACCURACY_LOG} (run status: {result.get('status', 'unknown')}): "
                         "nothing to compare; give a run directory with its accuracy log")
    if next(iter_accuracy_log(log), None) is None:
        raise UsageError(f"{log} holds no responses: nothing to compare")
    return result


def outputs(run_dir, result: dict, bench):
    """``(dataset index, decoded output)`` of the first response per sample of a run's log."""
    offset = (result.get("shard") or {}).get("start", 0)  # a shard's LoadGen counted its slice from 0
    responses = Responses(Path(run_dir) / ACCURACY_LOG, load_object(bench.codec), max_bytes=bench.max_response_bytes)
    for index, output in responses:
        yield index + offset, output


def compare(run_a, run_b) -> dict:
    """How run B's outputs differ from run A's (see the module docstring), as a JSON-serialisable dict."""
    results = read_run(run_a), read_run(run_b)
    if results[0]["benchmark"] != results[1]["benchmark"]:
        raise UsageError(f"{run_a} is a {results[0]['benchmark']} run and {run_b} a {results[1]['benchmark']} run: "
                         "diff compares two runs of the same benchmark")
    bench = registry.get(results[0]["benchmark"])
    context = Context(bench, results[0])
    pairs = Pairs(outputs(run_a, results[0], bench), outputs(run_b, results[1], bench))
    comparison = (load_object(bench.diff) if bench.diff else exact_outputs)(pairs, context)
    return _plain({
        "benchmark": bench.id, "name": bench.make_name,
        "runs": {"a": _describe(run_a, results[0]), "b": _describe(run_b, results[1])},
        "metrics": _metrics(*(r.get("metrics") or {} for r in results)),
        "samples": {"a": pairs.counts[0], "b": pairs.counts[1], "paired": pairs.paired,
                    "only_in_a": pairs.only[0], "only_in_b": pairs.only[1]},
        "figures": comparison.figures, "rows": comparison.rows, "rows_note": comparison.rows_note,
        "notes": [*context.notes, *comparison.notes],
    })


def _describe(run_dir, result: dict) -> dict:
    config = result.get("config", {})
    return {"run_dir": str(Path(run_dir).resolve()), "status": result.get("status"), "verdict": result.get("verdict"),
            "demo": bool(result.get("demo")), "shard": result.get("shard"),
            **{key: config.get(key) for key in ("scenario", "data_type", "device", "backend")}}


def _metrics(a: dict, b: dict) -> list[dict]:
    rows = []
    for name in [*a, *(k for k in b if k not in a)]:
        va, vb = a.get(name), b.get(name)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (va, vb))
        rows.append({"metric": name, "a": va, "b": vb, "difference": vb - va if numbers else None})
    return rows


def _plain(value):
    """numpy values as Python ones, tuples as lists, NaN and infinities as None: strict JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cell(value, width: int = 60) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        shown = ", ".join(_cell(v) for v in value[:10])
        return (shown + f", ... ({len(value)} in all)" if len(value) > 10 else shown) or "none"
    text = str(value)
    text = text if len(text) <= width else text[:width - 3] + "..."
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)  # a tab or NUL shown as \t, \x00


def _texts(row: dict, keys) -> list[str]:
    """A row's long texts, from a little before the point where they part (the rest is shared)."""
    texts = [row[k] for k in keys if k in row]
    start = max(0, len(os.path.commonprefix(texts)) - 40) if len(texts) > 1 else 0
    return [f"  sample {row['index']} {k}: {'...' * (start > 0)}{_cell(row[k][start:], 300)}" for k in keys if k in row]


def render(report: dict, rows: int = 20) -> str:
    """The console text of ``compare``'s dict: the runs, their metrics, the figures, the first rows."""
    out = [f"{report['name']}: run B against run A (differences are B - A)"]
    for side in ("a", "b"):
        run = report["runs"][side]
        shard = f", shard {run['shard']['index']} of {run['shard']['count']}" if run.get("shard") else ""
        out.append(f"  {side.upper()}  {run['run_dir']}  ({run['backend']}, {run['data_type']}, {run['scenario']}, "
                   f"{run['device']}{shard}; {run['verdict']})")
    if report["metrics"]:
        out += ["", format_table(("metric", "A", "B", "B - A"),
                                 [(m["metric"], _cell(m["a"]), _cell(m["b"]), _cell(m["difference"]))
                                  for m in report["metrics"]])]
    samples = report["samples"]
    only = [f"{len(samples[k])} only in {k[-1].upper()} ({_cell(samples[k])})" for k in ("only_in_a", "only_in_b")
            if samples[k]]
    out += ["", f"samples: {samples['a']} in A, {samples['b']} in B, {samples['paired']} paired"
                + "".join(f"; {text}" for text in only), ""]
    width = max((len(k) for k in report["figures"]), default=0)
    out += [f"  {name:<{width}}  {_cell(value, 200)}" for name, value in report["figures"].items()]
    shown = report["rows"][:rows]
    if shown:
        out += ["", f"{report['rows_note'] or 'samples'} ({len(shown)} of {len(report['rows'])}):"]
        long = {k for row in shown for k, v in row.items() if isinstance(v, str) and len(v) > 40}
        columns = list(dict.fromkeys(k for row in shown for k in row if k not in long))
        out.append(format_table(tuple(columns), [tuple(_cell(row.get(c)) for c in columns) for row in shown]))
        out += [line for row in shown for line in _texts(row, [k for k in row if k in long])]
    out += [f"note: {note}" for note in report["notes"]]
    return "\n".join(out)
