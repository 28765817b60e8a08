"""``python -m harness.compliance <name> [--demo]``: the compliance tests TEST or COMPLIANCE=all name."""

from __future__ import annotations

import argparse
import os
import sys

from .. import command_settings, config, registry
from ..errors import HarnessError, UsageError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.compliance", description=__doc__)
    parser.add_argument("benchmark")
    parser.add_argument("--demo", action="store_true", help="on the benchmark's demo fixture")
    parser.add_argument("--check", action="store_true", help="validate the settings and exit")
    args = parser.parse_args(argv)
    try:
        bench = registry.get(args.benchmark)
        tests = command_settings.compliance_settings(bench)
        settings = config.resolve(bench)  # every other setting checked before the first run starts
        for variable, given in (("SHARDS", settings.shards > 1), ("GPUS", bool(os.environ.get("GPUS", "").strip())),
                                ("FIND_PEAK", settings.find_peak)):
            if given:
                raise UsageError(f"{variable}={os.environ.get(variable, '')!r} is not valid with a compliance test: "
                                 "each test compares whole single-process runs; unset it.")
        if args.check:
            return 0
        from .flow import run_tests

        return run_tests(bench, tests, args.demo)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
