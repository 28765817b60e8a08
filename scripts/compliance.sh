#!/usr/bin/env bash
# Compliance tests of one benchmark in its environment: bash scripts/compliance.sh <name>
# TEST=TEST01|TEST04|TEST05|TEST06 (or several, comma-separated) or COMPLIANCE=all; DEMO=1 runs them on
# the demo fixture; the run settings (N_COUNT, SCENARIO, BACKEND, ...) apply to every run they make.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name="${1:?usage: compliance.sh <benchmark>}"
demo=()
case "${DEMO:-0}" in
  1|true|yes) demo=(--demo) ;;
  0|false|no|"") ;;
  *) echo "error: DEMO='${DEMO}' is not valid: use 1 (run the tests on the demo fixture) or 0." >&2; exit 2 ;;
esac
"$PYTHON" -m harness.compliance "$name" --check  # TEST, COMPLIANCE and every run setting, standard library only
python="$(env_python "$name")"
exec "$python" -m harness.compliance "$name" "${demo[@]}"
