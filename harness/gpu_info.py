"""What the machine's NVIDIA GPUs are, as nvidia-smi and torch see them (standard library at import).

nvidia-smi speaks for the hardware and the driver; torch for what a run can use. The two disagree
when torch is a CPU-only build or its CUDA is newer than the driver: a run would then silently
take the CPU, which for a 70B model means days. Both views are recorded in result.json.
"""

from __future__ import annotations

import shutil
import subprocess

QUERY = "index,name,memory.total,driver_version"


def nvidia_smi_gpus() -> list[dict]:
    """``[{index, name, memory_mib, driver}]`` of every GPU nvidia-smi lists; [] when it is absent
    or fails (no driver, no GPU)."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        done = subprocess.run(["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    gpus = []
    for line in done.stdout.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) == 4 and fields[0].isdigit():
            mib = int(fields[2]) if fields[2].isdigit() else None
            gpus.append({"index": int(fields[0]), "name": fields[1], "memory_mib": mib, "driver": fields[3]})
    return gpus


def torch_view() -> dict:
    """What the installed torch sees: its version, the CUDA it was built for (None: a CPU-only
    build), cuDNN, and the visible GPUs (after CUDA_VISIBLE_DEVICES); {} when torch is absent."""
    try:
        import torch
    except ImportError:
        return {}
    available = torch.cuda.is_available()
    cudnn = torch.backends.cudnn.version() if available else None
    return {"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": cudnn,
            "visible": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if available else []}


def device_facts() -> dict:
    """result.json's ``device``: GPU model and count, driver, CUDA and cuDNN; null on a CPU machine."""
    smi, view = nvidia_smi_gpus(), torch_view()
    visible = view.get("visible") or []
    names = visible or [g["name"] for g in smi]
    return {
        "gpu_model": names[0] if names else None,
        "gpu_count": len(visible) if visible else None,
        "gpus_on_machine": len(smi) if smi else None,
        "driver": smi[0]["driver"] if smi else None,
        "cuda": view.get("cuda") if visible else None,
        "cudnn": view.get("cudnn"),
        "torch": view.get("torch"),
        "torch_cuda_build": view.get("cuda"),
    }


def why_torch_sees_no_gpu(gpus: list[dict]) -> str:
    """One sentence for the case nvidia-smi lists GPUs but torch sees none."""
    view = torch_view()
    listed = f"nvidia-smi lists {len(gpus)} GPU(s) ({gpus[0]['name']}, driver {gpus[0]['driver']})"
    if not view:
        return f"{listed} but torch is not installed in this environment"
    if view.get("cuda") is None:
        return (f"{listed} but torch {view['torch']} is a CPU-only build: rebuild the environment with "
                "TORCH_BACKEND=cu128 (or cu126, cu130; see README)")
    return (f"{listed} but torch {view['torch']} (built for CUDA {view['cuda']}) cannot use them: the driver "
            "may be too old for that CUDA (rebuild with an older TORCH_BACKEND, e.g. cu126), or "
            "CUDA_VISIBLE_DEVICES hides them")
