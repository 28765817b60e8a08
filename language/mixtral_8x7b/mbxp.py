"""MBXP pass@1: run each generated program against its tests inside a bubblewrap sandbox.

The reference uses mxeval (not on PyPI). This runner builds the same programs: the response is
cut at its first "```", Python's is left-stripped, "\\_" becomes "_", the prompt is dropped
(Mixtral repeats it), then program = solution + "\n" + test code (Python adds
"check(<entry_point>)"). A program passes iff it compiles (where compiled) and exits with 0
within the time limit without leaving a process running; programs run in parallel.

Each program is compiled and run in the bubblewrap sandbox of sandbox.py (MBXP_SANDBOX=none runs
it unsandboxed, with a warning); evaluate's result says which (``"sandbox"``).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness import progress

from . import sandbox
from .sandbox import SANDBOX_PATH

TIMEOUT_S = 20.0
QUEUED = ("cpp", "python", "php", "javascript", "ruby", "typescript")  # the reference scores only these


@dataclass(frozen=True)
class Language:
    extension: str
    tools: tuple[str, ...]
    compile: tuple[str, ...] | None  # "{src}" / "{exe}" substituted
    run: tuple[str, ...]
    limit_memory: bool = True  # V8 reserves far more address space than it uses


LANGUAGES = {
    "python": Language(".py", ("python3",), None, ("python3", "{src}")),
    "javascript": Language(".js", ("node",), None, ("node", "{src}"), limit_memory=False),
    "cpp": Language(".cpp", ("g++",), ("g++", "-std=c++17", "-O1", "{src}", "-o", "{exe}"), ("{exe}",)),
    "typescript": Language(".ts", ("tsc", "node"), ("tsc", "--target", "es5", "--lib", "es2016", "{src}"),
                           ("node", "{js}"), limit_memory=False),
    "ruby": Language(".rb", ("ruby",), None, ("ruby", "{src}")),
    "php": Language(".php", ("php",), None, ("php", "{src}")),
}


def available(lang: str, mode: str = "bwrap") -> bool:
    spec = LANGUAGES.get(lang)
    if spec is None:
        return False
    if mode == "none":
        return all(shutil.which(tool) for tool in spec.tools)
    return all(sandbox.visible(shutil.which(tool, path=SANDBOX_PATH)) for tool in spec.tools)


def solution_of(lang: str, response: str) -> str:
    cut = response.find("```")
    solution = response[:cut] if cut >= 0 else response
    if lang == "python":
        solution = solution.lstrip()
    return solution.replace("\\_", "_")


def program_of(problem: dict) -> str:
    solution = solution_of(problem["lang"], problem["response"])
    program = solution + "\n" + problem["test_code"]
    if problem["lang"] == "python":
        program += "\n" + f"check({problem['entry_point']})"
    return program


def _check(problem: dict, timeout: float, bwrap: str | None) -> tuple[bool, str]:
    spec = LANGUAGES[problem["lang"]]
    with sandbox.home() as home:
        work = Path(home) / "work"
        src = work / f"program{spec.extension}"
        src.write_text(program_of(problem), encoding="utf-8")
        sandbox.give(src)
        where = work if bwrap is None else Path(sandbox.WORKDIR)
        names = {"src": str(where / src.name), "exe": str(where / "program.out"),
                 "js": str(where / "program.js")}
        if spec.compile:
            ok, text = sandbox.execute([a.format(**names) for a in spec.compile], Path(home), timeout, False, bwrap,
                                compiling=True)
            if not ok:
                return False, "compile: " + text
        return sandbox.execute([a.format(**names) for a in spec.run], Path(home), timeout, spec.limit_memory, bwrap)


def check(problem: dict, timeout: float = TIMEOUT_S, mode: str = "bwrap") -> tuple[bool, str]:
    """``(passed, result text)`` for one problem {lang, entry_point, test_code, response}; ``mode``
    is MBXP_SANDBOX (sandbox.parse_mode)."""
    bwrap = sandbox.find_bwrap(mode)
    if bwrap is None:
        sandbox.warn_unsandboxed()
    return _check(problem, timeout, bwrap)


def evaluate(problems: list[dict], workers: int = 2, timeout: float = TIMEOUT_S, mode: str = "bwrap") -> dict:
    """pass@1 over the queued languages that can run here; the rest are counted and listed."""
    runnable = [p for p in problems if p["lang"] in QUEUED and available(p["lang"], mode)]
    skipped: dict[str, int] = {}
    for p in problems:
        if p["lang"] in QUEUED and not available(p["lang"], mode):
            skipped[p["lang"]] = skipped.get(p["lang"], 0) + 1
    ignored = sum(p["lang"] not in QUEUED for p in problems)
    bwrap = sandbox.find_bwrap(mode) if runnable else None
    if runnable and bwrap is None:
        sandbox.warn_unsandboxed()
    with ThreadPoolExecutor(max(1, workers)) as pool:  # each check is its own subprocess
        outcomes = list(progress.track(pool.map(lambda p: _check(p, timeout, bwrap), runnable), "MBXP",
                                       len(runnable), " programs"))
    passed: dict[str, int] = {}
    counts: dict[str, int] = {}
    for problem, (ok, _) in zip(runnable, outcomes):
        counts[problem["lang"]] = counts.get(problem["lang"], 0) + 1
        passed[problem["lang"]] = passed.get(problem["lang"], 0) + int(ok)
    total = sum(counts.values())
    return {"mbxp": 100 * sum(passed.values()) / total if total else 0,
            "passed": passed, "counts": counts, "skipped": skipped, "ignored": ignored,
            "sandbox": mode,
            "results": [{"task_id": f"{p['lang']}_{p['entry_point']}", "passed": ok, "result": text}
                        for p, (ok, text) in zip(runnable, outcomes)]}
