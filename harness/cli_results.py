"""``python -m harness`` commands over runs that exist: summary, report, diff, submission, and the
verified logs and data of the DVC remote (harness/cli.py adds them to its parser)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import command_settings, registry
from . import config as run_config
from .errors import HarnessError, UsageError


def cmd_dvc(args) -> int:
    from . import artifacts, dvc

    if args.action == "log-pull-all":
        failed, skipped = [], []
        for bench in registry.all_benchmarks():
            if not dvc.pointer_of(bench).is_file():
                skipped.append(bench.make_name)
                continue
            try:
                dvc.pull_log(bench)
            except dvc.DvcError as exc:
                print(f"error: {bench.make_name}: {exc}", file=sys.stderr)
                failed.append(bench.make_name)
        if skipped:
            print(f"== no verified log published yet for: {', '.join(skipped)}")
        if failed:
            raise dvc.DvcError(f"log_all: {len(failed)} pull(s) failed: {', '.join(failed)}")
        return 0
    if not args.benchmark:
        raise UsageError(f"`harness dvc {args.action}` needs a benchmark name")
    bench = registry.get(args.benchmark)
    if args.action == "log-pull":
        dvc.pull_log(bench)
    elif args.action == "publish":
        run_dir, force = command_settings.publish_settings({"run": args.run, "force": args.force})
        if not run_dir or not Path(run_dir).is_dir():
            raise UsageError(f"RUN={run_dir!r} is not a run directory: give the run to publish, e.g. "
                             f"make publish_log_{bench.make_name} RUN=logs/{bench.make_name}/Offline/float32/<run>")
        dvc.publish(bench, Path(run_dir), Path(run_config.paths()[1]), force)
    else:  # data-push
        config = run_config.resolve(bench, {"offline": "1"})
        resolved = artifacts.resolve_all(bench, config.data_dir, True, {})
        paths = [artifacts.tracked_path(art, Path(config.data_dir)) for art in bench.artifacts]
        pointers = dvc.push_paths(paths)
        print(f"== pushed {len(resolved)} verified artifact(s) of {bench.make_name}; commit: "
              + " ".join(str(p.relative_to(registry.ROOT)) for p in pointers))
    return 0


def cmd_submission(args) -> int:
    from .submission.export import export

    flags = {key: getattr(args, key) for key in command_settings.SUBMISSION_FLAGS}
    return export(command_settings.submission_settings(flags))


def cmd_diff(args) -> int:
    from .diff import compare, render

    if args.rows < 0:
        raise UsageError(f"--rows {args.rows} is not valid: give how many per-sample rows to show (0 or more)")
    try:
        report = compare(Path(args.run_a), Path(args.run_b))
    except HarnessError:
        raise
    except (ValueError, OSError) as exc:  # a log that does not decode as its benchmark's outputs: say which
        raise HarnessError(str(exc)) from None
    print(json.dumps(report, indent=1) if args.json else render(report, args.rows))
    return 0


def cmd_summary(args) -> int:
    from .summary import render

    output, demos = command_settings.summary_settings()
    text, note = render(run_config.paths()[1], output, demos)
    print(text)
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from .report import generate

    log_dir = run_config.paths()[1]
    _, demos = command_settings.summary_settings()
    diff = command_settings.diff_runs(args.diff, log_dir)
    out = args.out or str(Path(log_dir) / "report.html")
    if Path(out).is_dir():
        raise UsageError(f"--out {out!r} is not valid: it is a directory; give the HTML file to write")
    done = generate(log_dir, out, args.run_dirs, demos, diff)
    hidden = f", {done['hidden_demos']} demo run(s) hidden (DEMO=1 shows them)" if done["hidden_demos"] else ""
    print(f"== report of {done['runs']} run(s) of {done['benchmarks']} benchmark(s){hidden}: {done['out']} "
          f"({done['bytes'] // 1024} KiB; {done['plots_drawn']} plot(s) drawn, {done['plots_cached']} from the cache)")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("submission", help="export runs into the MLPerf Inference v4.1 submission tree")
    for key, variable in command_settings.SUBMISSION_FLAGS.items():
        if key == "demo":
            p.add_argument("--demo", action="store_true", help="as DEMO=1: a dry run that may hold demo runs")
        else:
            p.add_argument("--" + key, metavar=variable, help=f"overrides ${variable}")
    p.set_defaults(func=cmd_submission)
    p = sub.add_parser("diff", help="where two runs of one benchmark differ, sample by sample (B - A)")
    p.add_argument("run_a", metavar="RUN_A", help="the reference run directory (e.g. the golden run)")
    p.add_argument("run_b", metavar="RUN_B", help="the run directory compared with it")
    p.add_argument("--json", action="store_true", help="the whole comparison as JSON, for scripts")
    p.add_argument("--rows", type=int, default=20, metavar="N", help="per-sample rows in the text (default 20)")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("dvc", help="verified logs and data through the DVC remote mlperf-data")
    p.add_argument("action", choices=("log-pull", "log-pull-all", "publish", "data-push"))
    p.add_argument("benchmark", nargs="?")
    p.add_argument("--run", help="the run directory to publish (or RUN=...)")
    p.add_argument("--force", action="store_true", help="as FORCE=1")
    p.set_defaults(func=cmd_dvc)
    p = sub.add_parser("report", help="one self-contained HTML page of every run (DEMO=1, DIFF=A,B)")
    p.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", help="only these runs (default: every run in LOG_DIR)")
    p.add_argument("--out", help="the HTML file to write (default: LOG_DIR/report.html)")
    p.add_argument("--diff", metavar="A,B", help="add a comparison of two runs (overrides $DIFF)")
    p.set_defaults(func=cmd_report)
    sub.add_parser("summary", help="latest result per benchmark").set_defaults(func=cmd_summary)
