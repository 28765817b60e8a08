#!/usr/bin/env bash
# Run every benchmark given (default: all registered), go on past failures, summarise, and exit
# non-zero if any failed: bash scripts/run_all.sh [name ...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$#" -eq 0 ]; then read -r -a names <<< "$(harness names)"; else names=("$@"); fi
failed=()
for name in "${names[@]}"; do
  echo "=== make $name"
  if bash "$ROOT/scripts/build_env.sh" "$name" && bash "$ROOT/scripts/eval.sh" "$name"; then
    echo "=== $name: ok"
  else
    echo "=== $name: FAILED (exit $?)"
    failed+=("$name")
  fi
done
harness summary
if [ "${#failed[@]}" -gt 0 ]; then
  echo "make all: ${#failed[@]} of ${#names[@]} benchmark(s) failed: ${failed[*]}"
  exit 1
fi
echo "make all: all ${#names[@]} benchmark(s) passed"
