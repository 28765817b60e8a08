#!/usr/bin/env bash
# Verified logs and data through the DVC remote mlperf-data:
#   bash scripts/dvc.sh log-pull <name> | log-pull-all | publish <name> (RUN=<run dir> [FORCE=1]) | data-push <name>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python="$(tools_python)"
cd "$ROOT"
exec "$python" -m harness dvc "$@"
