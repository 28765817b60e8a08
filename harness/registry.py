"""Find benchmark declarations by scanning the domain folders; resolve the names users type.

Adding a benchmark means adding ``<domain>/<name>/benchmark.py``; nothing here changes.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
from functools import lru_cache
from pathlib import Path

from .declaration import Benchmark
from .errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
NOT_DOMAINS = ("harness", "tests", "bench", "scripts", "loadgen", "logs", "data")


def declaration_files() -> list[Path]:
    """``<domain>/<folder>/benchmark.py`` under the top-level packages, in sorted order: a new
    domain or benchmark is found without any list to edit."""
    return sorted(decl for decl in ROOT.glob("*/*/benchmark.py")
                  if decl.parts[-3] not in NOT_DOMAINS and (decl.parent.parent / "__init__.py").is_file())


@lru_cache(maxsize=1)
def all_benchmarks() -> tuple[Benchmark, ...]:
    """Every declared benchmark, in sorted folder order; a name claimed twice is an error."""
    found: list[Benchmark] = []
    owner: dict[str, str] = {}
    for decl in declaration_files():
        domain = decl.parent.parent.name
        module = importlib.import_module(f"{domain}.{decl.parent.name}.benchmark")
        bench = module.BENCHMARK
        if not bench.requirements:
            bench = dataclasses.replace(bench, requirements=f"{domain}/{decl.parent.name}/requirements.txt")
        if bench.domain != domain:
            raise RuntimeError(f"{decl}: declares domain {bench.domain!r} but lives in {domain}/")
        for name in bench.names:
            if name in owner:
                raise RuntimeError(f"benchmark name {name!r} is claimed by {owner[name]} and {bench.id}")
            owner[name] = bench.id
        found.append(bench)
    return tuple(found)


def get(name: str) -> Benchmark:
    """The benchmark a user-typed name (id or alias) stands for, or a UsageError that lists them."""
    for bench in all_benchmarks():
        if name in bench.names:
            return bench
    known = [n for b in all_benchmarks() for n in b.names]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UsageError(f"unknown benchmark {name!r}.{hint} Known: {', '.join(known)} (see `make help`).")


def make_names() -> list[str]:
    """The make target of each benchmark, in registry order."""
    return [b.make_name for b in all_benchmarks()]


def other_names() -> list[str]:
    """The ids and aliases that are not make names (``sdxl``, ``dlrm-v2-99``): make targets too."""
    targets = set(make_names())
    return [n for b in all_benchmarks() for n in b.names if n not in targets]
