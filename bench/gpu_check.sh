#!/usr/bin/env bash
# The GPU check of a bare machine: one NVIDIA GPU, a python with torch (CUDA) and transformers, no network.
#   bash bench/gpu_check.sh WHEELS_DIR
# 1. installs the few packages the demos need from WHEELS_DIR (pip --no-index): make that folder on a
#    machine with the network and the same python version:  bash bench/gpu_check.sh --wheel-command
# 2. runs the resnet, bert, gpt-j, llama2 and sdxl demos on the CPU (the reference) and with DEVICE=cuda,
#    and prints how far they agree (python -m harness diff);
# 3. measures the hf engine on a GPT-J-6B-shaped random bf16 model: batched vs batch-1 (bench/gpt_j_gpu_speed.py).
# Under 8 minutes on an H100. DEVICE=cpu runs the same steps with the CPU in place of the GPU (a dry run of the
# script). PYTHON picks the interpreter (python3), DEMOS the demos. Exit 0 only when every step ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${PYTHON:-python3}"
device="${DEVICE:-cuda}"
demos="${DEMOS:-resnet bert gpt-j llama2 sdxl}"
# What the demos import beyond torch, transformers and numpy, at the versions the benchmarks pin.
names="mlcommons-loadgen rouge-score nltk tqdm pillow opencv-python-headless tokenizers sentencepiece accelerate
pandas diffusers safetensors scipy ftfy regex"
pins() {
  local name
  for name in $names; do
    grep -h -i -m1 "^$name==" vision/resnet50/requirements.txt language/*/requirements.txt \
      text_to_image/sdxl/requirements.txt | head -n 1
  done
}
if [ "${1:-}" = --wheel-command ]; then
  echo "pip wheel -w gpu_check_wheels $(pins | tr '\n' ' ')"
  exit 0
fi
wheels="${1:?usage: bash bench/gpu_check.sh WHEELS_DIR (bash bench/gpu_check.sh --wheel-command says how to make it)}"
[ -d "$wheels" ] || { echo "error: WHEELS_DIR=$wheels is not a directory" >&2; exit 2; }
case "$device" in cuda|cpu) ;; *) echo "error: DEVICE=$device is not valid: use cuda (the check) or cpu (a dry run)" >&2; exit 2;; esac
began=$SECONDS
work="$(mktemp -d /tmp/gpu_check.XXXXXX)"
mkdir -p "$work/data"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" DATA_DIR="$work/data" LOG_DIR="$work/logs" OFFLINE=1 \
  PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
unset GPUS SHARDS SHARD N_COUNT BACKEND MANIFEST

echo "### 1. packages from $wheels"
# only those missing: the machine's own torch, transformers and their companions stay as they are
missing="$(pins | "$python" -c '
import sys
from importlib import metadata
for pin in sys.stdin.read().split():
    try:
        metadata.version(pin.split("==")[0])
    except metadata.PackageNotFoundError:
        print(pin)
')"
if [ -n "$missing" ]; then
  echo "  installing: $(echo $missing)"
  # shellcheck disable=SC2086
  "$python" -m pip install -q --no-index --find-links "$wheels" $missing
fi
DEVICE="$device" "$python" - <<'EOF'
import json, os, sys
from harness.gpu_info import device_facts, nvidia_smi_gpus, why_torch_sees_no_gpu
facts = device_facts()
print("machine:", json.dumps(facts))
if os.environ["DEVICE"] == "cuda" and not facts["gpu_count"]:  # every GPU step would fail: say why once
    gpus = nvidia_smi_gpus()
    sys.exit("error: torch sees no GPU: " + (why_torch_sees_no_gpu(gpus) if gpus else "nvidia-smi lists none"))
EOF

echo "### 2. demos: CPU (reference) vs DEVICE=$device"
failed=()
rows=()
for demo in $demos; do
  for role in reference checked; do  # the CPU run, then the DEVICE run (a run of its own with DEVICE=cpu too)
    where=cpu
    [ "$role" = reference ] || where="$device"
    step=$SECONDS
    if DEVICE="$where" timeout 240 "$python" -m harness demo "$demo" --run-dir-file "$work/$demo.$role.run" \
        > "$work/$demo.$role.log" 2>&1; then
      echo "  $demo on $where: $((SECONDS - step)) s, $(cat "$work/$demo.$role.run")"
    else
      echo "  $demo on $where: FAILED (exit $?) after $((SECONDS - step)) s; the end of its console:"
      tail -n 15 "$work/$demo.$role.log" | sed 's/^/    /'
      failed+=("$demo/$where")
    fi
  done
  [ -f "$work/$demo.reference.run" ] && [ -f "$work/$demo.checked.run" ] || continue
  pair=("$(cat "$work/$demo.reference.run")" "$(cat "$work/$demo.checked.run")")
  "$python" -m harness diff "${pair[@]}" --rows 5 | sed 's/^/    /'
  "$python" -m harness diff --json "${pair[@]}" > "$work/$demo.diff.json"
  rows+=("$demo")
done

echo "### agreement of DEVICE=$device with the CPU"
"$python" - "$work" "${rows[@]}" <<'EOF'
import json, sys
from pathlib import Path

def agreement(f):
    """One rate per benchmark family: how many outputs are the same as the CPU's."""
    if "top1_agreement_rate" in f:
        return f["top1_agreement_rate"], "same top-1 class"
    if "exact_match_rate" in f:
        return f["exact_match_rate"], "token-identical outputs"
    if "same_best_start" in f:
        return min(f["same_best_start"], f["same_best_end"]) / f["samples"], "same best answer start and end"
    if "identical_images" in f:
        return f["identical_images"] / f["images"], "identical images"
    return None, "no agreement figure"

work = Path(sys.argv[1])
print(f"{'demo':<8}{'agreement':>10}  what")
for demo in sys.argv[2:]:
    figures = json.loads((work / f"{demo}.diff.json").read_text())["figures"]
    rate, what = agreement(figures)
    extra = {k: v for k, v in figures.items() if k in ("max_abs_logit_difference", "mean_abs_pixel_difference",
                                                      "first_divergence", "rouge_difference", "clip_difference")}
    print(f"{demo:<8}{'-' if rate is None else f'{rate:.3f}':>10}  {what} {json.dumps(extra) if extra else ''}")
EOF

echo "### 3. hf engine speed (bench/gpt_j_gpu_speed.py)"
if [ "$device" = cuda ]; then
  timeout 240 "$python" bench/gpt_j_gpu_speed.py || failed+=("gpt_j_gpu_speed")
else
  timeout 240 "$python" bench/gpt_j_gpu_speed.py --tiny --prompts 4 --single 2 --batch-size 4 --new-tokens 4 \
    || failed+=("gpt_j_gpu_speed")
fi

echo "### done in $((SECONDS - began)) s; files in $work"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
