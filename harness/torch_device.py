"""DEVICE, DATA_TYPE and THREADS as torch settings, with a clear error when the device is not there."""

from __future__ import annotations

from .errors import UsageError


def resolve_device(device: str):
    import torch

    if device == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(f"DEVICE={device!r} but this torch ({torch.__version__}) sees no CUDA device; "
                             "use DEVICE=cpu, or install a CUDA build of torch in the environment.")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise UsageError(f"DEVICE={device!r} but only {torch.cuda.device_count()} CUDA device(s) are "
                             f"visible (cuda:0..cuda:{torch.cuda.device_count() - 1}).")
        return torch.device(f"cuda:{index}")
    return torch.device("cpu")


def check_device(device: str, gpu_sized: bool = False, name: str = "this benchmark") -> None:
    """Before a run: a CUDA DEVICE that is not there is an error; DEVICE=auto that lands on the CPU
    while nvidia-smi lists GPUs is a loud warning, and for a GPU-sized benchmark an error (days on
    the CPU); DEVICE=cpu given explicitly runs on the CPU without a word."""
    import sys

    if device != "auto":
        resolve_device(device)
        return
    try:
        if resolve_device(device).type == "cuda":
            return
    except ImportError:  # an environment without torch: nothing here runs on a GPU
        return
    from .gpu_info import nvidia_smi_gpus, why_torch_sees_no_gpu

    gpus = nvidia_smi_gpus()
    if not gpus:
        return
    why = why_torch_sees_no_gpu(gpus)
    if gpu_sized:
        raise UsageError(f"DEVICE=auto would run {name} on the CPU: {why}. {name} is GPU-sized (days on a "
                         "CPU); fix torch, or set DEVICE=cpu to run on the CPU anyway.")
    bar = "!" * 78
    print(f"{bar}\nWARNING: DEVICE=auto runs {name} on the CPU: {why}.\n"
          f"Set DEVICE=cpu to silence this, or fix torch to use the GPU.\n{bar}", file=sys.stderr, flush=True)


def visible_gpu_count() -> int:
    """How many GPUs this process may use: its shard's group size under GPUS=0-3,4-7 (shards.sh
    sets CUDA_VISIBLE_DEVICES per shard); an engine's tensor-parallel size."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def device_type(device: str) -> str:
    """``cpu`` or ``cuda``: where DEVICE puts the model (``auto`` asks torch)."""
    return resolve_device(device).type


def torch_dtype(data_type: str):
    import torch

    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[data_type]


def apply_threads(threads: int) -> None:
    """THREADS=N: torch's intra-op threads in the run process (0 leaves torch's default). On a
    small shared machine one thread can be far faster for tiny tensors, and a fixed count keeps
    convolution sums, and so the last digits of scores such as FID, the same from run to run."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
