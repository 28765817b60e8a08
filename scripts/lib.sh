# Shared helpers for the entry scripts; sourced, never run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# The interpreter that builds environments: the harness core needs only the standard library.
PYTHON="${PYTHON:-python3}"

harness() { "$PYTHON" -m harness "$@"; }

# The python of a benchmark's environment (the current interpreter when ENV_MANAGER=none).
env_python() { harness env "$1" --python-path; }

# The python of the tools environment (DVC), built or reused first; the current one with ENV_MANAGER=none.
tools_python() { harness tools-python; }
