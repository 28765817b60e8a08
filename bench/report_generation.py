"""`make report` over 1,000 runs: time to write the page, ours vs a straightforward generator.

The runs: one real ResNet accuracy demo and one real SingleStream performance demo (LoadGen's own
logs) as templates, copied into 1,000 run directories spread over every declared benchmark and its
scenarios (a fifth performance runs with their detail logs, the rest accuracy runs judged by the
harness's verdict code), a few minutes apart.

- baseline: the straightforward generator: for each benchmark, read every result.json again and
  keep its own; parse every performance run's detail log whole (``loadgen_logs.read_detail``);
  draw every plot afresh with measured layouts (``tight_layout``, ``bbox_inches="tight"``, as
  matplotlib's examples do). It writes the same page (the same collector output and HTML code).
- ours, cold: one pass over the result.json files, only the detail logs of the runs drawn (their
  ``result_*`` lines), every plot drawn with fixed margins (``plots.frame``; empty SVG cache).
- ours, after one new run: the same LOG_DIR plus one run; plots whose data did not change come
  from the SVG cache (what a person watching runs does: run `make report` again).

Ratio > 1: ours is faster. Median of alternating repeats.

    python bench/report_generation.py [--runs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness import loadgen_logs, registry, summary, verdict  # noqa: E402
from harness.report import collect as report_collect, generate  # noqa: E402
from harness.report import plots  # noqa: E402
from harness.report.page import render  # noqa: E402
from harness.report.plots import Plotter  # noqa: E402


class StraightforwardPlotter(Plotter):
    """Every plot drawn afresh, laid out by measuring its texts (matplotlib's tight layout)."""

    def svg(self, kind: str, data: dict) -> str:
        import io

        import matplotlib

        def tight_svg(figure):
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
            return buffer.getvalue()[buffer.getvalue().index("<svg"):]

        saved = plots.frame, plots.to_svg
        plots.frame, plots.to_svg = (lambda figure, **_: figure.set_layout_engine("tight")), tight_svg
        try:
            with matplotlib.rc_context(plots.STYLE):
                return plots.DRAWERS[kind](data)
        finally:
            plots.frame, plots.to_svg = saved


def demo_run(work: Path, **env) -> Path:
    where = work / f"run-{len(env)}.txt"
    environment = {**os.environ, "DATA_DIR": str(work / "data"), "LOG_DIR": str(work / "templates"),
                   "ENV_MANAGER": "none", "PYTHONPATH": str(ROOT), "THREADS": "1", **env}
    (work / "data").mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "harness", "demo", "resnet", "--run-dir-file", str(where)], cwd=ROOT,
                   env=environment, check=True, capture_output=True)
    return Path(where.read_text().strip())


def build_logs(log_dir: Path, runs: int, accuracy: Path, perf: Path, seed: int = 0) -> None:
    rng = random.Random(seed)
    template = json.loads((accuracy / "result.json").read_text())
    perf_template = json.loads((perf / "result.json").read_text())
    benches = registry.all_benchmarks()
    for i in range(runs):
        bench = benches[i % len(benches)]
        scenario = bench.scenarios[(i // len(benches)) % len(bench.scenarios)]
        performance = (i // len(benches)) % 5 == 4  # every benchmark: a fifth of its runs
        stamp = f"2026-11-{1 + i * 29 // runs:02d}T{(i * 7) % 24:02d}:{i % 60:02d}:00Z"
        folder = log_dir / bench.make_name / scenario / "float32" / f"{stamp.replace(':', '')}-{i:06x}"
        folder.mkdir(parents=True)
        result = json.loads(json.dumps(perf_template if performance else template))
        result.update(benchmark=bench.id, name=bench.make_name, started=stamp, demo=False, run_dir=str(folder))
        result["config"].update(benchmark=bench.id, scenario=scenario, n_count=bench.total_count)
        if performance:
            for name in ("mlperf_log_detail.txt", "mlperf_log_summary.txt"):
                shutil.copy(perf / name, folder / name)
        else:
            values = {t.metric: t.reference * rng.uniform(0.975, 1.01) for ts in bench.targets.values() for t in ts}
            rows = verdict.judge(bench, values)
            result.update(targets=rows, metrics=values, verdict="PASS" if verdict.overall(bench, rows) else "FAIL")
            result.pop("verdict_on_slice", None)
            shutil.copy(accuracy / "accuracy.txt", folder / "accuracy.txt")
        (folder / "result.json").write_text(json.dumps(result))


def add_run(log_dir: Path, i: int) -> None:
    """One new accuracy run, newer than every other, beside the first accuracy run found."""
    source = next(p for p in sorted(log_dir.glob("*/*/*/*/result.json"))
                  if json.loads(p.read_text())["config"]["mode"] == "accuracy")
    result = json.loads(source.read_text())
    result["started"] = f"2026-12-01T00:00:{i:02d}Z"
    folder = source.parent.with_name(f"20261201T0000{i:02d}Z-new")
    folder.mkdir()
    result["run_dir"] = str(folder)
    (folder / "result.json").write_text(json.dumps(result))


def baseline(log_dir: Path, out: Path) -> float:
    """Per benchmark: re-read every result.json, parse every detail log whole, draw everything."""
    start = time.perf_counter()
    paths = sorted(log_dir.glob("*/*/*/*/result.json"))
    by_name = {b.make_name: report_collect.BenchmarkRuns(b.make_name, b) for b in registry.all_benchmarks()}
    for name, bench in by_name.items():
        for path in paths:
            result = json.loads(path.read_text())
            if result.get("name") != name:
                continue
            result["run_dir"] = str(path.parent)
            if (path.parent / "mlperf_log_detail.txt").is_file():
                result["_detail"] = loadgen_logs.read_detail(path.parent / "mlperf_log_detail.txt")
            bench.runs.append(result)
        bench.runs.sort(key=lambda r: r.get("started", ""))
        report_collect.derive(bench)
    data = report_collect.ReportData(str(log_dir), list(by_name.values()), 0)
    out.write_text(render(data, out.parent, StraightforwardPlotter(None)), encoding="utf-8")
    return time.perf_counter() - start


def ours(log_dir: Path, out: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    done = generate(str(log_dir), out)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    accuracy = demo_run(work)
    perf = demo_run(work, MODE="performance", SCENARIO="SingleStream")
    log_dir = work / "logs"
    build_logs(log_dir, args.runs, accuracy, perf)
    base, cold, warm, facts = [], [], [], {}
    for i in range(args.repeats):
        base.append(baseline(log_dir, work / f"base{i}.html"))
        shutil.rmtree(log_dir / ".report-cache", ignore_errors=True)
        seconds, facts["cold"] = ours(log_dir, work / f"cold{i}.html")
        cold.append(seconds)
        add_run(log_dir, i)
        seconds, facts["warm"] = ours(log_dir, work / f"warm{i}.html")
        warm.append(seconds)
    b, c, w = statistics.median(base), statistics.median(cold), statistics.median(warm)
    shown = summary.latest_results(str(log_dir))
    print(f"report of {args.runs} runs over {len(registry.all_benchmarks())} benchmarks ({len(shown.results)} newest "
          f"per scenario/mode/data type), median of {args.repeats} alternating repeats, seconds")
    print(f"  {'baseline (re-read per benchmark, every detail log, tight layout)':<66} {b:7.3f}   "
          f"runs: {', '.join(f'{x:.3f}' for x in base)}")
    print(f"  {'ours, cold (one pass, drawn runs only, fixed margins)':<66} {c:7.3f}   "
          f"runs: {', '.join(f'{x:.3f}' for x in cold)}   plots drawn {facts['cold']['plots_drawn']}")
    print(f"  {'ours, after one new run (SVG cache)':<66} {w:7.3f}   "
          f"runs: {', '.join(f'{x:.3f}' for x in warm)}   plots drawn {facts['warm']['plots_drawn']}, "
          f"cached {facts['warm']['plots_cached']}")
    print(f"  page: {facts['warm']['bytes'] / 1e6:.2f} MB; ratio cold {b / c:.3f}, after one new run {b / w:.3f}")
    for name, value in (("report_generation_cold", c), ("report_generation_after_one_new_run", w)):
        print(json.dumps({"bench": name, "ours": round(value, 4), "baseline": round(b, 4),
                          "ratio": round(b / value, 4), "unit": "s"}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
