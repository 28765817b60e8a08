"""Will the LLM fit its GPUs? Decided from the model's config before a byte of weights is read.

device_map="auto" quietly offloads the layers that do not fit to the CPU (or disk), which turns an
hours-long run into weeks; a model larger than one GPU split layer by layer over several runs one
GPU at a time. Both are said up front: the first stops the run, the second is printed.
"""

from __future__ import annotations

from harness.errors import UsageError

HEADROOM = 0.9  # of free GPU memory for the weights: activations and the KV cache need the rest
GIB = 1024 ** 3


def model_bytes(model_path, data_type: str) -> int:
    """The bytes of the model's parameters and buffers in DATA_TYPE, built on the meta device from
    its config (no weights read, no memory used)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from harness.torch_device import torch_dtype

    config = AutoConfig.from_pretrained(str(model_path))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch_dtype(data_type))
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def plan(needed: int, free: list[int]) -> str:
    """``one`` (fits the first GPU), ``split`` (fits only spread over all of ``free``, the free
    bytes per visible GPU) or ``offload`` (does not fit them: accelerate would offload)."""
    if needed <= free[0] * HEADROOM:
        return "one"
    return "split" if needed <= sum(free) * HEADROOM else "offload"


def check_fits(needed: int, free: list[int], data_type: str) -> str:
    """Say what the plan means: print a split, refuse an offload (UsageError, exit 2)."""
    where = plan(needed, free)
    size = f"{needed / GIB:.1f} GiB in {data_type}"
    gpus = f"{len(free)} visible GPU(s) with {sum(free) / GIB:.1f} GiB free ({free[0] / GIB:.1f} GiB on the first)"
    if where == "offload":
        raise UsageError(f"the model needs {size} but the {gpus} cannot hold it (with {1 - HEADROOM:.0%} kept for "
                         "activations): accelerate would offload layers to the CPU, weeks for a full run. Give "
                         "the shard more GPUs (GPUS=0-3), free GPU memory, or set DEVICE=cpu to run on the CPU.")
    if where == "split":
        print(f"== the model ({size}) is larger than one GPU: its layers are split over the {gpus} "
              "(device_map=auto). Each token passes the GPUs one after another, so this is slow; "
              "ENGINE=vllm runs the group tensor-parallel, much faster.", flush=True)
    return where


def check_gpus(model_path, data_type: str, indices: list[int]) -> str:
    """``check_fits`` for the GPUs the model will use (cuda:N, or all visible ones: a GPUS group)."""
    import torch

    free = [torch.cuda.mem_get_info(i)[0] for i in indices]
    return check_fits(model_bytes(model_path, data_type), free, data_type)
