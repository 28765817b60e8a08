#!/usr/bin/env bash
# One shard per GPUS entry, in parallel, then merge and score: GPUS=0,1,2,3 bash scripts/shards.sh <name>
# An entry may be a group (GPUS=0-3,4-7 or 0+1,2+3): its shard sees only those GPUs (CUDA_VISIBLE_DEVICES)
# and runs with DEVICE=cuda, so a model may spread over the group. A "cpu" entry runs its shard on the CPU.
# Finished samples are kept, so a re-run after a failure resumes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name="${1:?usage: GPUS=0,1 shards.sh <benchmark> [run flags]}"
shift
python="$(env_python "$name")"
: "${GPUS:?GPUS lists one device (or group) per shard, e.g. GPUS=0,1,2,3 or 0-3,4-7}"
groups_text="$(harness gpus)"  # the harness parses and checks the groups; one line per shard
mapfile -t devices <<< "$groups_text"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pids=()
stop() {  # background jobs ignore Ctrl-C: pass it on, so every shard stops and keeps its samples
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
  echo "=== interrupted: every shard stopped; run the same command again to resume"
  exit 130
}
trap stop INT TERM
for i in "${!devices[@]}"; do
  device="${devices[$i]}"
  if [ "$device" = cpu ]; then visible="${CUDA_VISIBLE_DEVICES:-}"; run_device=cpu; else visible="$device"; run_device=cuda; fi
  CUDA_VISIBLE_DEVICES="$visible" DEVICE="$run_device" SHARDS="${#devices[@]}" SHARD="$i" \
    "$python" -m harness run "$name" --run-dir-file "$work/run_$i" "$@" > "$work/console_$i" 2>&1 &
  pids+=("$!")
done
failed=0
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then status=ok; else status="exit $?"; failed=1; fi
  echo "=== shard $i on ${devices[$i]}: $status ($(cat "$work/run_$i" 2>/dev/null || echo 'no run directory'))"
  [ "$status" = ok ] || tail -n 20 "$work/console_$i"
done
[ "$failed" -eq 0 ] || { echo "not merging: a shard failed; re-run the same command to resume"; exit 1; }
runs=()
for i in "${!devices[@]}"; do runs+=("$(cat "$work/run_$i")"); done
exec "$python" -m harness merge "${runs[@]}"
