"""The contract between the core and a benchmark: what the core decides, and the three parts a
benchmark supplies.

The core decides everything a run is about and hands it over once, frozen, as a ``Run``: the
declaration, the validated configuration, the verified artifacts, the dataset indices this run
covers (N_COUNT, shards) and the run directory. A benchmark supplies:

- a ``Dataset`` (LoadGen's QSL side), built from the ``Run``: how many samples its data holds
  (``size``), ``prepare()`` for the run's indices, ``load``/``unload`` of sample indices;
- a ``Backend`` (LoadGen's SUT side), built from the dataset and the ``Run``: ``predict(indices)``
  returns one array per index; the optional hooks have defaults here;
- a scorer, ``score(responses, dataset, run) -> Score``: ``responses`` are the first response per
  sample of the accuracy log, already decoded with the benchmark's codec (``codecs.Responses``).

Indices are always the dataset's own (0 .. size-1): a shard's dataset sees its slice, never
LoadGen's renumbering.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Protocol

if TYPE_CHECKING:  # the contract stays importable before any environment exists
    from .artifacts import Resolved
    from .codecs import Responses
    from .config import RunConfig
    from .declaration import Benchmark
    from .score import Score


@dataclass(frozen=True)
class Run:
    """One evaluation as the core decided it; read-only for the benchmark."""

    benchmark: Benchmark
    config: RunConfig
    artifacts: Mapping[str, Resolved]
    indices: range  # the dataset indices of this run (a shard: its slice)
    run_dir: Path | None = None  # where outputs beside the log go; None when scoring a log from elsewhere
    demo: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.indices)

    @property
    def partial(self) -> bool:
        """Fewer samples than the benchmark's full set: a check, not a result."""
        return len(self.indices) < self.benchmark.total_count

    def artifact_path(self, name: str) -> Path:
        return Path(self.artifacts[name].path)


class Dataset(ABC):
    """The QSL side. ``size`` must be known once constructed (cheap: an index file); heavy work
    belongs in ``prepare``, which the core calls after checking the run's indices against ``size``."""

    def __init__(self, run: Run):
        self.run = run

    @property
    @abstractmethod
    def size(self) -> int:
        """How many samples the dataset's files hold."""

    def prepare(self) -> None:
        """Preprocess (or check) the samples of ``self.run.indices``; called once before LoadGen."""

    @abstractmethod
    def load(self, indices) -> None:
        """Bring these samples into memory (LoadGen's thread calls this before issuing them)."""

    @abstractmethod
    def unload(self, indices) -> None:
        """Release these samples."""


class Backend(ABC):
    """The SUT side: load the model once, then ``predict`` batches of dataset indices.

    ``BACKEND=package.module:Class`` selects any subclass, so a vendor evaluates its own runtime
    without forking the harness."""

    notes: tuple[str, ...] = ()  # what the backend changed (e.g. a data type): printed with the verdict, saved
    # Set by the runner around each ``predict`` when LoadGen wants first tokens (LLMs outside
    # Offline), else None: ``on_first_token(position, tokens)`` reports the first token of
    # ``indices[position]`` the moment it exists (time to first token). Rows not reported this way
    # are reported at completion, as for a backend that ignores it.
    on_first_token = None
    # A backend that schedules requests itself (vLLM's continuous batching) sets this and implements
    # ``submit``: Server queries then reach it one by one as LoadGen issues them, and each sample
    # completes on its own, instead of waiting for the batch it was gathered into.
    continuous = False

    def __init__(self, dataset: Dataset, run: Run):
        self.dataset, self.run = dataset, run

    @abstractmethod
    def predict(self, indices) -> list:
        """One output array per index, in order: a list of arrays, or one array stacked on axis 0.
        Called from one worker thread, at most BATCH_SIZE indices at a time."""

    def submit(self, indices, first_token, done) -> None:
        """Start these samples and return at once (``continuous`` backends, Server runs). Later,
        from one thread of the backend's: ``first_token(position, tokens)`` when ``indices[position]``
        has its first token, ``done(position, output)`` when it ends (the output array, or the
        exception that ended it)."""
        raise NotImplementedError(f"{type(self).__name__} sets continuous but has no submit()")

    def cancel(self) -> None:
        """A ``continuous`` backend, on Ctrl-C: end every sample in flight now, each with
        ``done(position, exception)``, so that LoadGen gets its answers and the run stops."""

    def cache_settings(self) -> dict:
        """Settings that change the outputs beyond the artifacts and DATA_TYPE (e.g. generate
        keywords); they join the resume store's key."""
        return {}

    def skip_stored(self, indices) -> None:
        """The resume store answers these samples; a backend that plans ahead must not compute them."""

    def close(self) -> None:
        """Called once LoadGen has finished (before scoring), and on failure: stop helpers, free devices."""


class Scorer(Protocol):
    """A benchmark's scorer: decoded first responses in, named values and upstream's lines out."""

    def __call__(self, responses: Responses, dataset: Dataset, run: Run) -> Score: ...
