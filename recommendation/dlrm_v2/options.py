"""DLRM-v2's own settings, parsed at the edge by the core (declared as Options in benchmark.py).

Light on purpose: the core imports this before the run starts. Each parser raises ValueError saying
what is allowed; the core adds the variable and the value.
"""

from __future__ import annotations

import re

TABLES = 26
ENGINES = ("auto", "torchrec", "tables")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def world_size(text: str) -> int:
    """Processes that hold the embedding tables (at least one table each)."""
    raw = text.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= TABLES:
        raise ValueError(f"use the number of processes that hold the embedding tables, 1 to {TABLES}")
    return int(raw)


def engine(text: str) -> str:
    """Who holds the embedding tables: torchrec (its sharded kernels), tables (our table-wise split
    over torch.distributed, no torchrec), auto (torchrec where it loads, else tables)."""
    value = text.strip().lower()
    if value not in ENGINES:
        raise ValueError(f"use {', '.join(ENGINES)} (auto: torchrec where it can be imported, else the "
                         "table-wise engine)")
    return value


def memory_limit(text: str) -> int | None:
    """Bytes the memory check assumes free per device; empty = measure it."""
    if not text.strip():
        return None
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError("give bytes, or a number with K, M, G or T (binary units), e.g. 200G")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])
