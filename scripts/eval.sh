#!/usr/bin/env bash
# Evaluate one benchmark in its environment: bash scripts/eval.sh <name> [run flags]
# Overrides: SCENARIO N_COUNT DATA_TYPE DEVICE MODE BACKEND BATCH_SIZE DATA_DIR LOG_DIR OFFLINE ...;
# GPUS=0,1,2,3 runs one shard per listed GPU and merges them (scripts/shards.sh); EXECUTOR=ray SHARDS=N
# runs each shard as a Ray task on a cluster (harness/ray_executor.py).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name="${1:?usage: eval.sh <benchmark> [flags]}"
shift
harness check "$name" "$@"  # every setting validated before anything else, standard library only
python="$(env_python "$name")"
if [ "${DATA_SOURCE:-upstream}" = dvc ]; then
  PATH="$(dirname "$(tools_python)"):$PATH"  # the data comes through dvc, from the tools environment
  export PATH
fi
executor="$(printf '%s' "${EXECUTOR:-local}" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')"  # as checked
if [ "$executor" = ray ]; then  # one Ray task per shard (Ray's own environment), merged here
  exec "$(harness ray-python)" -m harness ray-run --python "$python" "$name" "$@"
fi
if [ -n "${GPUS:-}" ]; then
  exec bash "$ROOT/scripts/shards.sh" "$name" "$@"
fi
exec "$python" -m harness run "$name" "$@"
