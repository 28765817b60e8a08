"""Run upstream's v4.1 submission checker (an mlcommons/inference checkout) on the exported tree."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path("tools") / "submission" / "submission_checker.py"


def run_checker(checkout: Path, root: Path, submitter: str, skips: list[str]) -> tuple[int, list[str]]:
    """``(exit code, its ERROR lines)``, printing its warnings, errors and summary (its INFO lines
    name every file it read). Its CSV goes to a scratch folder: a file beside the divisions would
    itself be an error."""
    with tempfile.TemporaryDirectory(prefix="submission-checker-") as scratch:
        command = [sys.executable, str(checkout / SCRIPT), "--input", str(root), "--version", "v4.1",
                   "--submitter", submitter, "--csv", str(Path(scratch) / "summary.csv")]
        command += skips
        print("== " + " ".join(command))
        done = subprocess.run(command, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shown = [line for line in done.stdout.splitlines() if " ERROR] " in line or " WARNING] " in line
             or "SUMMARY" in line or "Traceback" in line or not line.startswith("[")]
    print("\n".join(line for line in shown if line.strip()))
    return done.returncode, [line for line in shown if " ERROR] " in line]
