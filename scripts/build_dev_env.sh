#!/usr/bin/env bash
# The project environment .venv (demo, tests, benches); rebuilt only when its pins change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ENV_MANAGER="${DEV_ENV_MANAGER:-uv}" harness env --requirements "$ROOT/scripts/envs/dev.txt" --with-benchmarks --path "$ROOT/.venv"
