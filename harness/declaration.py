"""What a benchmark declares: the one record the core needs to run and score it.

A benchmark folder (for example ``vision/resnet50/``) holds a ``benchmark.py`` that defines
``BENCHMARK = Benchmark(...)``. That module may import only this module: everything heavy
(datasets, models, metrics) is named as a ``"package.module:Name"`` string and imported on use,
so listing benchmarks or building an environment never imports torch or transformers.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

SCENARIOS = ("Offline", "Server", "SingleStream", "MultiStream")
DATA_TYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Artifact:
    """One file the benchmark needs, with where it comes from and how to check it.

    ``path`` is relative to the data directory. ``sources`` are tried in order. An artifact with
    ``manual`` set cannot be downloaded (a licence or a registration stands in the way): the text
    says exactly what to obtain. ``unpack`` names a folder (relative to the data directory) that
    the verified archive is unpacked into; ``member`` picks one file out of the archive instead,
    and ``member_sha256`` checks that file. ``git_blob`` is the id git gives the file's content,
    for files that upstream publishes no other checksum for than their commit.
    """

    name: str
    path: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    sources: tuple[str, ...] = ()
    manual: str | None = None
    licence: str | None = None
    unpack: str | None = None
    member: tuple[str, str] | None = None  # (name inside the archive, path to write it to)
    member_sha256: str | None = None
    git_blob: str | None = None
    contains: tuple[str, ...] = ()  # paths an ``unpack`` folder must hold (a half-copied folder is not there)


@dataclass(frozen=True)
class Target:
    """An accuracy target as the submission checker states it: reference x multiplier, and limits.

    Where the checker writes the bounds as absolute numbers (SDXL's CLIP and FID windows), give
    ``lower`` and ``upper`` instead of multipliers so that no product rounds them.
    """

    metric: str  # the name of the value in the metric's output, e.g. "acc"
    reference: float
    multiplier: float = 0.99
    upper_multiplier: float | None = None  # an upper limit, as the checker has for tokens per sample
    lower: float | None = None
    upper: float | None = None

    @property
    def threshold(self) -> float:
        return self.lower if self.lower is not None else self.reference * self.multiplier

    @property
    def upper_limit(self) -> float | None:
        if self.upper is not None:
            return self.upper
        return None if self.upper_multiplier is None else self.reference * self.upper_multiplier


@dataclass(frozen=True)
class Option:
    """A setting only one benchmark has (DLRM-v2's ``WORLD_SIZE``), read from the environment at the
    edge like the core's settings, printed with them and saved in result.json.

    ``parse`` is a ``"module:function"`` (a light module: it runs before the run starts) that turns
    the raw text (``default`` when unset) into the value, or raises ValueError saying what is allowed.
    Backends read the value from ``config.options[variable]``.
    """

    variable: str
    parse: str
    default: str = ""
    help: str = ""


@dataclass(frozen=True)
class Benchmark:
    """The declaration of one benchmark; see the module docstring.

    ``dataset``, ``backend``, ``codec``, ``metric`` and ``demo`` are ``"module:Name"`` references
    (the contract they keep is in ``harness/contract.py``); the pinned requirements of its
    environment are ``requirements.txt`` beside the declaration.
    ``targets`` maps a checker key (``"resnet"``, ``"bert-99"``) to its targets; ``primary`` names
    the key whose verdict sets the exit code.
    """

    id: str
    aliases: tuple[str, ...]
    loadgen_model: str
    domain: str
    dataset: str
    backend: str
    codec: str
    metric: str
    targets: dict[str, tuple[Target, ...]]
    primary: str
    total_count: int
    performance_count: int
    artifacts: tuple[Artifact, ...] = ()
    scenarios: tuple[str, ...] = SCENARIOS
    data_types: tuple[str, ...] = DATA_TYPES
    default_scenario: str = "Offline"
    default_batch_size: int = 32
    accuracy_command: str | None = None
    demo: str | None = None
    diff: str | None = None  # "module:compare_outputs": how two runs' outputs differ (harness/diff.py)
    report_tokens: bool = False
    eos_token_id: int | None = None  # LLMs: the tokenizer's EOS id (TEST06 checks outputs end with it at most once)
    log_name: str = ""  # the seed's folder under logs/internal/, where it differs from the make name
    options: tuple[Option, ...] = ()
    max_response_bytes: int | None = None  # the largest answer a response can be; a log with more is refused
    gpu_sized: bool = False  # days on a CPU: DEVICE=auto that finds torch without CUDA stops (DEVICE=cpu runs)
    requirements: str = ""  # set by the registry: requirements.txt in the benchmark's folder
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def make_name(self) -> str:
        """The make target users type: the first alias (the seed's name), else the id."""
        return self.aliases[0] if self.aliases else self.id

    @property
    def verified_log_name(self) -> str:
        """The folder of its verified log under logs/internal/ (DVC): the seed's ``log_name`` where it
        differs (``llama2-70b``), else the make name. Runs are filed under the make name."""
        return self.log_name or self.make_name

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a user may type for this benchmark, canonical id first."""
        return (self.id, *self.aliases)

    def artifact(self, name: str) -> Artifact:
        for art in self.artifacts:
            if art.name == name:
                return art
        raise KeyError(f"{self.id} declares no artifact named {name!r}")


def load_object(reference: str):
    """Import ``"package.module:Name"`` and return the named object (lazily, on first use)."""
    module_name, _, attr = reference.partition(":")
    if not attr:
        raise ValueError(f"expected 'package.module:Name', got {reference!r}")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"{module_name} has no attribute {attr!r} (from {reference!r})") from None
