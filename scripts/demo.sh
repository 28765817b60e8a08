#!/usr/bin/env bash
# The whole pipeline on generated data and random weights: bash scripts/demo.sh [name]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name="${1:-resnet}"
python="$(env_python "$name")"
exec "$python" -m harness demo "$name"
