"""Will the model fit? Checked before anything is allocated, so a run that cannot hold the
97.4 GiB of embedding tables stops at once with the numbers, not after an hour of swapping
or an out-of-memory kill.

``DLRM_MEMORY_LIMIT`` (bytes, or with a K/M/G/T suffix meaning KiB/MiB/GiB/TiB) replaces the
measured free memory of each device: to leave room for other work, or to test the check.
"""

from __future__ import annotations

from harness.errors import HarnessError

GIB = 1 << 30
RESERVE_FRACTION = 0.05  # as the reference planner's storage reservation
RESERVE_BYTES = 512 << 20  # one batch of inputs and activations


class InsufficientMemory(HarnessError):
    pass


def host_available() -> int:
    """MemAvailable of /proc/meminfo (what can be allocated without swapping)."""
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise HarnessError("cannot read MemAvailable from /proc/meminfo; set DLRM_MEMORY_LIMIT to the bytes free")


def device_available(device) -> int:
    import torch

    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    return host_available()


def needed(weight_bytes: int) -> int:
    return int(weight_bytes * (1 + RESERVE_FRACTION)) + RESERVE_BYTES


def gib(n: int) -> str:
    if n >= GIB:
        return f"{n / GIB:.1f} GiB"
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.1f} KiB"


def shares(devices: list, plan: list[list[int]], table_bytes: list[int], dense_bytes: int) -> dict:
    """Weight bytes per device: rank r's tables (``plan[r]``) on ``devices[r]``, the dense layers
    beside rank 0's."""
    booked = {device: 0 for device in devices}
    for rank, device in enumerate(devices):
        booked[device] += sum(table_bytes[k] for k in plan[rank])
    booked[devices[0]] += dense_bytes
    return booked


def check(plan: dict, limit: int | None, sharding_available: bool = True) -> None:
    """``plan`` maps a device (torch.device) to the weight bytes it will hold. Processes on one
    host share its memory, so CPU shares are added up before they are compared."""
    wanted: dict = {}
    for device, weight in plan.items():
        key = "cpu" if device.type == "cpu" else device
        wanted[key] = wanted.get(key, 0) + weight
    for device, weight in wanted.items():
        need = needed(weight)
        have = limit if limit is not None else device_available(device if device != "cpu" else _cpu())
        if need <= have:
            continue
        source = "DLRM_MEMORY_LIMIT" if limit is not None else ("free GPU memory" if device != "cpu"
                                                                  else "MemAvailable")
        advice = ("Use a machine with more memory, or shard the tables over N GPUs with WORLD_SIZE=N DEVICE=cuda "
                  "(each holds about 1/N of them; 4 GPUs of 40 GB or 8 of 32 GB suffice)."
                  if sharding_available else "Use a machine with more memory.")
        raise InsufficientMemory(
            f"DLRM-v2 needs {gib(need)} on {device} ({gib(weight)} of weights, +{RESERVE_FRACTION:.0%} and "
            f"{RESERVE_BYTES >> 20} MiB for batches) but {source} is {gib(have)}. {advice}")


def _cpu():
    import torch

    return torch.device("cpu")
