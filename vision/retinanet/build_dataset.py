"""Build the MLPerf OpenImages validation subset, or the calibration set, from public Open Images V6 files.

    python -m vision.retinanet.build_dataset --dataset-dir DATA_DIR/openimages [--workers 16]
    python -m vision.retinanet.build_dataset --dataset-dir DATA_DIR/openimages --calibration

The validation subset is ``openimages.build``, the calibration set ``calibration.build``; both
resume where an earlier run stopped.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness.errors import HarnessError

from . import calibration, openimages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vision.retinanet.build_dataset",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dataset-dir", required=True,
                        help="where annotations/ and validation/data/ (or calibration/data/) go")
    parser.add_argument("--calibration", action="store_true",
                        help="build the 500-image calibration set (Open Images train split) instead")
    parser.add_argument("--workers", type=int, default=min(32, (os.cpu_count() or 1) * 4), help="parallel downloads")
    args = parser.parse_args(argv)
    build = calibration.build if args.calibration else openimages.build
    try:
        build(Path(args.dataset_dir), args.workers)
    except (HarnessError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, HarnessError) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
