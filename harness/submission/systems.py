"""``systems/<system>.json`` and the implementation JSON of each measurements folder: every field
the v4.1 checker requires, filled where the run records say it, empty where only the user knows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from . import rules

# The artifact names benchmark declarations give their checkpoint (weights, or model for LLMs).
WEIGHT_ARTIFACTS = ("weights", "model")
ACCELERATOR_FIELDS = ("accelerator_memory_capacity", "accelerator_frequency", "accelerator_host_interconnect",
                      "accelerator_interconnect", "accelerator_interconnect_topology",
                      "accelerator_memory_configuration", "accelerator_on-chip_memories")
DRY_RUN = "DRY RUN: demo runs (random weights, generated data); this tree is no submission"


def implementation_id(result: dict) -> str:
    """The <implementation> of ``<system>_<implementation>_<Scenario>.json`` and ``code/<model>/``:
    ``reference``, or the BACKEND class as a safe name."""
    backend = str((result.get("config") or {}).get("backend", "reference"))
    return "reference" if backend == "reference" else re.sub(r"[^A-Za-z0-9.-]+", "-", backend).strip("-")


def implementation(accuracy: dict) -> dict:
    """The five SYSTEM_IMP_REQUIRED_FILES fields. The reference backend is never retrained and runs
    in DATA_TYPE; a backend of the user's own is theirs to describe."""
    config = accuracy.get("config") or {}
    reference = config.get("backend", "reference") == "reference"
    artifacts = accuracy.get("artifacts") or {}
    weights = next((Path(artifacts[n]["path"]).name for n in WEIGHT_ARTIFACTS if n in artifacts), "")
    return {"input_data_types": "", "retraining": "No" if reference else "",
            "starting_weights_filename": weights, "weight_data_types": config.get("data_type", "") if reference else "",
            "weight_transformations": ""}


def gpu_inventory(query: str | None) -> dict[int, tuple[str, str]]:
    """``{index: (name, memory)}`` from ``nvidia-smi --query-gpu=index,name,memory.total
    --format=csv,noheader,nounits`` output (memory in MiB, written as GB)."""
    gpus = {}
    for line in (query or "").splitlines():
        index, _, rest = line.partition(",")
        name, _, mib = rest.rpartition(",")
        if index.strip().isdigit() and mib.strip().isdigit():
            gpus[int(index)] = (name.strip(), f"{round(int(mib) / 1024)} GB")
    return gpus


def _nvidia_smi() -> str | None:
    if not shutil.which("nvidia-smi"):
        return None
    done = subprocess.run(["nvidia-smi", "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"],
                          capture_output=True, text=True, timeout=30)
    return done.stdout if done.returncode == 0 else None


def _devices(result: dict, read_shard) -> set[str]:
    """The DEVICE of a run, or of each shard a merge was made of (while the shards are still there)."""
    try:
        shards = [read_shard(d) for d in result.get("merged_from") or []]
    except (OSError, ValueError):
        shards = []
    return {str((r.get("config") or {}).get("device", "auto")) for r in (shards or [result])}


def accelerators(runs: list[dict], read_shard, notes: list[str]) -> dict:
    """Accelerator fields: none for runs on the CPU; the count of GPUs a run used, and their name
    and memory as nvidia-smi shows them on this machine, for runs on CUDA; empty otherwise."""
    used = [_devices(r, read_shard) for r in runs]
    if all(devices == {"cpu"} for devices in used):
        return {"accelerators_per_node": "0", "accelerator_model_name": "N/A",
                **{name: "N/A" for name in ACCELERATOR_FIELDS}}
    if any("auto" in devices for devices in used):
        notes.append("accelerators: a run had DEVICE=auto, which its record does not resolve; fill them in")
        return {}
    indices = {int(d.partition(":")[2] or 0) for devices in used for d in devices if d.startswith("cuda")}
    fields = {"accelerators_per_node": str(max(len(devices) for devices in used))}
    found = gpu_inventory(_nvidia_smi())
    names = sorted({found[i] for i in indices if i in found})
    if len(names) == 1:
        fields["accelerator_model_name"], fields["accelerator_memory_capacity"] = names[0]
        notes.append("accelerator_model_name and accelerator_memory_capacity: read with nvidia-smi on this "
                     "machine at export; check that the runs ran here")
    return fields


def harness_revision(runs: list[dict]) -> str:
    """The harness commit of the runs (each one, if they differ), and whether it had local changes."""
    found = []
    for run in runs:
        harness = (run.get("provenance") or {}).get("harness") or {}
        found.append(harness.get("commit", "unknown") + (" with uncommitted changes" if harness.get("dirty") else ""))
    return " / ".join(dict.fromkeys(found))


def _versions(runs: list[dict]) -> tuple[dict[str, str], str, str]:
    packages: dict[str, set] = {}
    for run in runs:
        for name, version in ((run.get("provenance") or {}).get("packages") or {}).items():
            packages.setdefault(name, set()).add(version)
    joined = {name: " / ".join(sorted(found)) for name, found in packages.items()}
    provenance = runs[-1].get("provenance") or {}
    return joined, provenance.get("python", ""), provenance.get("platform", "")


def system_description(system: str, submitter: str, division: str, dry_run: bool, scenarios: set[str],
                       runs: list[dict], read_shard, notes: list[str]) -> dict:
    """The systems JSON; ``notes`` gets what was assumed or inferred, for the user to check."""
    packages, python, platform = _versions(runs)
    edge, server = bool(scenarios & {"SingleStream", "MultiStream"}), "Server" in scenarios
    system_type = "datacenter,edge" if edge and server else "edge" if edge else "datacenter"
    notes.append(f"system_type={system_type}: inferred from the scenarios exported ({', '.join(sorted(scenarios))})")
    notes.append("status=available: assumed; use preview or rdi if the system is not yet available")
    reference = all((r.get("config") or {}).get("backend", "reference") == "reference" for r in runs)
    stack = [f"Python {python}"] + [f"{n} {v}" for n, v in sorted(packages.items()) if n != "torch"]
    known = {
        "division": division, "submitter": submitter, "status": "available",
        "system_name": f"{system} ({DRY_RUN})" if dry_run else system, "system_type": system_type,
        "number_of_nodes": "1", **accelerators(runs, read_shard, notes),
        "framework": f"PyTorch {packages['torch']}" if reference and "torch" in packages else "",
        "operating_system": platform, "other_software_stack": ", ".join(stack),
        "hw_notes": DRY_RUN if dry_run else "",
        "sw_notes": f"Run with the MLPerf Inference accuracy harness, revision {harness_revision(runs)}",
    }
    return {name: known.get(name, "") for name in rules.SYSTEM_FIELDS}
