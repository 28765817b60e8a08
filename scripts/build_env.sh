#!/usr/bin/env bash
# Build or reuse the isolated environment of one benchmark: bash scripts/build_env.sh <name>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
harness env "${1:?usage: build_env.sh <benchmark>}"
