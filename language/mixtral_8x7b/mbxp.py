"""MBXP pass@1: run each generated program against its tests in a sandboxed subprocess.

The reference uses mxeval (not on PyPI). This runner builds the same programs: the response is
cut at its first "```", Python's is left-stripped, "\\_" becomes "_", the prompt is dropped
(Mixtral repeats it), then program = solution + "\n" + test code (Python adds
"check(<entry_point>)"). A program passes iff it compiles (where compiled) and exits with 0
within the time limit. Each run gets its own temporary directory, a CPU-seconds and an
address-space limit and no core files; programs run in parallel.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 20.0
MEMORY_BYTES = 4 << 30
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


def available(lang: str) -> bool:
    spec = LANGUAGES.get(lang)
    return spec is not None and all(shutil.which(tool) for tool in spec.tools)


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


def _limits(cpu_seconds: float, memory: bool):
    def apply() -> None:
        cpu = max(1, int(cpu_seconds) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    return apply


def _execute(command: list[str], cwd: str, timeout: float, memory: bool) -> tuple[bool, str]:
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=_limits(timeout, memory),
                               start_new_session=True, env={"PATH": os.environ.get("PATH", ""), "HOME": cwd})
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: a program may have forked
        process.communicate()
        return False, "timed out"
    if process.returncode != 0:
        return False, f"exit {process.returncode}: {output.decode(errors='replace')[-300:]}"
    return True, "passed"


def check(problem: dict, timeout: float = TIMEOUT_S) -> tuple[bool, str]:
    """``(passed, result text)`` for one problem {lang, entry_point, test_code, response}."""
    spec = LANGUAGES[problem["lang"]]
    with tempfile.TemporaryDirectory(prefix="mbxp-") as work:
        src = Path(work) / f"program{spec.extension}"
        src.write_text(program_of(problem), encoding="utf-8")
        names = {"src": str(src), "exe": str(Path(work) / "program.out"), "js": str(src.with_suffix(".js"))}
        if spec.compile:
            ok, text = _execute([a.format(**names) for a in spec.compile], work, timeout, False)
            if not ok:
                return False, "compile: " + text
        return _execute([a.format(**names) for a in spec.run], work, timeout, spec.limit_memory)


def evaluate(problems: list[dict], workers: int = 2, timeout: float = TIMEOUT_S) -> dict:
    """pass@1 over the queued languages that can run here; the rest are counted and listed."""
    runnable = [p for p in problems if p["lang"] in QUEUED and available(p["lang"])]
    skipped: dict[str, int] = {}
    for p in problems:
        if p["lang"] in QUEUED and not available(p["lang"]):
            skipped[p["lang"]] = skipped.get(p["lang"], 0) + 1
    ignored = sum(p["lang"] not in QUEUED for p in problems)
    with ThreadPoolExecutor(max(1, workers)) as pool:  # each check is its own subprocess
        outcomes = list(pool.map(lambda p: check(p, timeout), runnable))
    passed: dict[str, int] = {}
    counts: dict[str, int] = {}
    for problem, (ok, _) in zip(runnable, outcomes):
        counts[problem["lang"]] = counts.get(problem["lang"], 0) + 1
        passed[problem["lang"]] = passed.get(problem["lang"], 0) + int(ok)
    total = sum(counts.values())
    return {"mbxp": 100 * sum(passed.values()) / total if total else 0,
            "passed": passed, "counts": counts, "skipped": skipped, "ignored": ignored,
            "results": [{"task_id": f"{p['lang']}_{p['entry_point']}", "passed": ok, "result": text}
                        for p, (ok, text) in zip(runnable, outcomes)]}
