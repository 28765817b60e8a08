"""``python -m harness``: run, score, list, build environments, summarise.

Exit codes: 0 success (a run: PASS), 1 FAIL or a failed step, 2 a bad value or name,
3 a missing artifact (the message says what to do), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from . import cli_results, gpus
from . import config as run_config
from . import registry
from .declaration import load_object
from .errors import HarnessError, UsageError


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    for key, env in run_config.SETTINGS.items():
        flag = "--" + key.replace("_", "-")
        if key in ("offline", "resume"):
            parser.add_argument(flag, dest=key, metavar="0|1", help=f"overrides ${env}")
        else:
            parser.add_argument(flag, dest=key, metavar=env, help=f"overrides ${env}")


def _flags(args) -> dict:
    return {k: getattr(args, k, None) for k in run_config.SETTINGS}


def cmd_run(args) -> int:
    from .run import evaluate

    bench = registry.get(args.benchmark)
    if args.loadgen_conf and not Path(args.loadgen_conf).is_file():
        raise UsageError(f"--loadgen-conf {args.loadgen_conf!r} is not a file: give a LoadGen user.conf")
    return evaluate(bench, run_config.resolve(bench, _flags(args)), args.run_dir_file, args.loadgen_conf)


def cmd_check(args) -> int:
    """Validate the settings of a run (standard library only): the entry scripts call this before
    they look for the benchmark's environment, so a bad value is named first."""
    bench = registry.get(args.benchmark)
    from .executor_settings import executor_settings

    if executor_settings(bench, _flags(args)).executor == "local":  # ray: checked there, as shard 0
        run_config.resolve(bench, _flags(args))
        gpus.gpus()
    return 0


def cmd_ray_run(args) -> int:
    """EXECUTOR=ray: one Ray task per shard, then the merge (harness/ray_executor.py)."""
    from .ray_executor import run_on_ray

    return run_on_ray(registry.get(args.benchmark), args.python, _flags(args))


def cmd_gpus(args) -> int:
    """GPUS as scripts/shards.sh reads it: one line per shard, its CUDA_VISIBLE_DEVICES or cpu."""
    for group in gpus.gpus():
        print(group)
    return 0


def cmd_demo(args) -> int:
    from .run import evaluate

    bench = registry.get(args.benchmark)
    if not bench.demo:
        raise UsageError(f"{bench.make_name} has no demo yet")
    data_dir, _ = run_config.paths()
    folder = Path(data_dir) / "demo" / bench.id
    print(f"== generating the {bench.make_name} demo fixture in {folder} (random weights, synthetic data)")
    manifest = load_object(bench.demo)(folder)
    count = json.loads(Path(manifest).read_text())["count"]  # every demo manifest states its size
    flags = {**_flags(args), "manifest": str(manifest)}
    config = run_config.resolve(bench, flags, defaults={"n_count": count, "device": "cpu"})
    return evaluate(bench, config, args.run_dir_file)


def cmd_accuracy(args) -> int:
    bench = registry.get(args.benchmark)
    if not bench.accuracy_command:
        raise UsageError(f"{bench.make_name} has no accuracy command yet")
    try:
        return load_object(bench.accuracy_command)(args.rest)
    except HarnessError:
        raise
    except (ValueError, OSError) as exc:  # a broken or mismatched input file: say which, no traceback
        raise HarnessError(str(exc)) from None


def cmd_list(args) -> int:
    from .artifacts import presence
    from .verdict import format_table

    data_dir, _ = run_config.paths()
    body = []
    for bench in registry.all_benchmarks():
        here = presence(bench, data_dir)
        arts = ", ".join(f"{name} {'present' if ok else 'missing'}" for name, ok in here.items())
        body.append((bench.make_name, bench.id, ", ".join(bench.aliases), "|".join(bench.scenarios), arts))
    print(format_table(("make", "id", "aliases", "scenarios", f"artifacts in {data_dir}"), body))
    for bench in registry.all_benchmarks():  # settings only one benchmark has
        for option in bench.options:
            default = option.default or "unset"
            print(f"{bench.make_name}: {option.variable} (default {default}): {option.help}")
    return 0


def cmd_names(args) -> int:
    print(" ".join(registry.other_names() if args.others else registry.make_names()))
    return 0


def cmd_env(args) -> int:
    from . import envs

    env = dict(os.environ)
    if args.requirements:
        path = Path(args.path or registry.ROOT / ".venv")
        requirements = Path(args.requirements).resolve()
        if args.with_benchmarks:  # one file that includes this one and every benchmark's
            requirements = envs.combined(requirements, [registry.ROOT / b.requirements
                                                        for b in registry.all_benchmarks()], envs.env_root(env))
        envs.ensure(requirements, path.resolve(), env)
        return 0
    if not args.benchmark:
        raise UsageError("name a benchmark (python -m harness env resnet) or give --requirements")
    bench = registry.get(args.benchmark)  # an option value may choose other requirements (ENGINE=vllm)
    requirements, suffix = envs.requirements_for(registry.ROOT / bench.requirements,
                                                 run_config.benchmark_options(bench, env))
    path = envs.env_root(env) / f"{bench.id}{suffix}"
    if args.python_path:
        python = Path(sys.executable) if envs.manager_of(env) == "none" else envs.python_in(path)
        if not python.exists():
            raise HarnessError(f"no environment for {bench.make_name} at {path}: run "
                               f"`bash scripts/build_{bench.make_name}_env.sh` (or `make {bench.make_name}`).")
        print(python)
        return 0
    envs.ensure(requirements, path, env)
    return 0


def cmd_tools_python(args, requirements: str = "dvc.txt", folder: str = "tools") -> int:
    """Build or reuse the tools environment (DVC) and print its python; progress goes to stderr."""
    from contextlib import redirect_stdout

    from . import envs

    env = dict(os.environ)
    with redirect_stdout(sys.stderr):
        python = envs.ensure(registry.ROOT / "scripts" / "envs" / requirements, envs.env_root(env) / folder, env)
    print(python)
    return 0


def cmd_ray_python(args) -> int:
    """The same for Ray's environment (scripts/envs/ray.txt): the EXECUTOR=ray driver, and `ray start`."""
    return cmd_tools_python(args, "ray.txt", "ray")


def cmd_merge(args) -> int:
    from .run import merge

    executor = json.loads(Path(args.executor).read_text()) if args.executor else None
    return merge([Path(d) for d in args.run_dirs], executor)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m harness", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    for name, func, text in (("run", cmd_run, "evaluate a benchmark under LoadGen and judge it"),
                             ("check", cmd_check, "validate a run's settings and exit (0, or 2 naming the bad one)"),
                             ("demo", cmd_demo, "the whole pipeline on generated data and random weights")):
        p = sub.add_parser(name, help=text)
        p.add_argument("benchmark")
        _add_run_flags(p)
        p.add_argument("--run-dir-file", help="write the run directory's path to this file once created")
        p.add_argument("--loadgen-conf", help="LoadGen settings appended last to the run's user.conf "
                                              "(FIND_PEAK's probes; SYSTEM is the place for a system's own)")
        p.set_defaults(func=func)
    p = sub.add_parser("accuracy", help="score an accuracy log with the upstream script's flags",
                       add_help=False)
    p.add_argument("benchmark")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_accuracy)
    p = sub.add_parser("env", help="build or reuse a benchmark's environment")
    p.add_argument("benchmark", nargs="?")
    p.add_argument("--python-path", action="store_true", help="print the environment's python")
    p.add_argument("--requirements", help="build from this requirements file instead")
    p.add_argument("--path", help="where to build it (with --requirements)")
    p.add_argument("--with-benchmarks", action="store_true",
                   help="with --requirements: also every benchmark's requirements.txt")
    p.set_defaults(func=cmd_env)
    p = sub.add_parser("merge", help="merge shard runs (SHARDS/SHARD) into one scored log")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--executor", metavar="FILE", help="JSON of where each shard ran (EXECUTOR=ray writes it); "
                                                      "kept as the merged result.json's executor")
    p.set_defaults(func=cmd_merge)
    p = sub.add_parser("ray-run", help="EXECUTOR=ray: each shard as a Ray task, then merge (scripts/eval.sh)")
    p.add_argument("benchmark")
    p.add_argument("--python", required=True, help="the benchmark environment's python on this machine (merges)")
    _add_run_flags(p)
    p.set_defaults(func=cmd_ray_run)
    p = sub.add_parser("names", help="the make target of every benchmark")
    p.add_argument("--others", action="store_true", help="the other names (ids, aliases) instead")
    p.set_defaults(func=cmd_names)
    for name, func, text in (("list", cmd_list, "benchmarks, aliases, scenarios, artifacts"),
                             ("tools-python", cmd_tools_python, "the python of the DVC tools environment"),
                             ("ray-python", cmd_ray_python, "the python of the Ray environment (EXECUTOR=ray)"),
                             ("gpus", cmd_gpus, "GPUS, one line per shard: its GPU indices or cpu")):
        sub.add_parser(name, help=text).set_defaults(func=func)
    cli_results.add_parsers(sub)
    return top


def _terminate(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # stop as Ctrl-C does: clean up, mark the run, exit 130
    try:
        return args.func(args)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        from . import disk

        if not disk.is_full(exc):
            raise
        print(f"error: {disk.advice(Path(exc.filename or '.'))}", file=sys.stderr)
        return 1
