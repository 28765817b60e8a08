"""GPUS: the shards of a parallel run and the GPUs of each (scripts/shards.sh runs them)."""

from __future__ import annotations

import os
import re

from .config import _bad


def gpus(env: dict | None = None) -> list[str]:
    """GPUS: one shard per comma-separated entry, run in parallel by scripts/shards.sh; each entry
    is the CUDA_VISIBLE_DEVICES of its shard ("0", "0,1,2,3") or "cpu"; [] when unset."""
    return [",".join(group) for group in gpu_groups(env)]


GPUS_FORMS = ("a comma separates shards; each shard is a GPU index, a group of indices joined by '+' "
              "(0+1), a range a-b (0-3), or cpu (a shard on the CPU), each GPU in one shard only: "
              "e.g. 0,1,2,3 (four shards), 0-3,4-7 or 0+1+2+3,4+5+6+7 (two shards of 4 GPUs), cpu,cpu")


def gpu_groups(env: dict | None = None, known: list[int] | None = None) -> list[tuple[str, ...]]:
    """GPUS as one tuple per shard: its GPU indices, or ``("cpu",)``. ``known``: the indices
    nvidia-smi lists (asked here when None; an index outside them is refused where it answers)."""
    env = dict(os.environ) if env is None else env
    raw = env.get("GPUS", "").strip()
    if not raw:
        return []
    groups, seen = [], set()
    for entry in (e.strip().lower() for e in raw.split(",")):
        if entry == "cpu":
            groups.append(("cpu",))
            continue
        group = []
        for item in (i.strip() for i in entry.split("+")):
            if "cpu" in item:
                raise _bad("GPUS", raw, f"cpu is a shard of its own and joins no group ({entry!r}); {GPUS_FORMS}")
            if not (m := re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", item)):
                what = "an empty shard or group member" if not item else f"{item!r} is no GPU index or range"
                raise _bad("GPUS", raw, f"list one device per shard ({what}): {GPUS_FORMS}")
            low, high = int(m.group(1)), int(m.group(2) or m.group(1))
            if high < low:
                raise _bad("GPUS", raw, f"the range {item} runs backwards: write {high}-{low}; {GPUS_FORMS}")
            if high > 1023:
                raise _bad("GPUS", raw, f"GPU {high} is out of range: indices run from 0 to 1023")
            group.extend(range(low, high + 1))
        twice = sorted({i for i in group if i in seen or group.count(i) > 1})
        if twice:
            raise _bad("GPUS", raw, f"list one device per shard: GPU {', '.join(map(str, twice))} is listed twice "
                                    f"(groups must not overlap); {GPUS_FORMS}")
        seen.update(group)
        groups.append(tuple(str(i) for i in group))
    if known is None:
        from .gpu_info import nvidia_smi_gpus

        known = [g["index"] for g in nvidia_smi_gpus()] or None  # no nvidia-smi: nothing to check against
    unknown = sorted(seen - set(known or seen))
    if unknown:
        raise _bad("GPUS", raw, f"GPU {', '.join(map(str, unknown))} is not on this machine: nvidia-smi lists "
                                f"{', '.join(map(str, known))}")
    return groups
