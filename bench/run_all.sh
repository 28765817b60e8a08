#!/usr/bin/env bash
# Run every bench script; each prints a table, then one JSON line per figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${BENCH_PYTHON:-.venv/bin/python}"
for script in bench/*.py; do
  echo "### $script"
  "$python" "$script"
  echo
done
