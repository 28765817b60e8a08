"""What the LLM fixtures share: batch-1 reference generation, manifests with a replaced dataset, and
the environment their commands run in."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import harness_env, sha256


def llm_env(tmp_path: Path, **extra) -> dict:
    """``harness_env`` with a private, empty HF_HOME: the machine's Hugging Face cache must not
    answer for a fixture."""
    return harness_env(tmp_path, HF_HOME=tmp_path / "hf", **extra)


def generate_one_at_a_time(model_dir: Path, prompts, **generate_kwargs) -> list:
    """New tokens per prompt from ``generate`` on a batch of one (the reference's way), as numpy."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    outputs = []
    for ids in prompts:
        with torch.inference_mode():
            out = model.generate(input_ids=torch.from_numpy(ids[None]),
                                 attention_mask=torch.ones(1, len(ids), dtype=torch.long), **generate_kwargs)
        outputs.append(out[0, len(ids):].numpy())
    return outputs


def manifest_with_dataset(fixture: dict, where: Path, data: Path) -> Path:
    """The fixture's manifest, not marked as a demo, with its dataset artifact replaced by ``data``
    (its model and punkt data stay where the fixture built them)."""
    manifest = json.loads(fixture["manifest"].read_text())
    artifacts = manifest["artifacts"]
    artifacts["dataset"] = {"path": str(data), "sha256": sha256(data)}
    for name in ("model", "punkt"):
        artifacts[name]["path"] = str(fixture["folder"] / artifacts[name]["path"])
    manifest.pop("demo")
    path = where / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path
