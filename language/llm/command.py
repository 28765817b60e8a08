"""What the LLM accuracy commands take from the harness settings instead of extra flags.

The reference scripts download punkt while scoring, and GPT-J's also its tokenizer. The commands
here take exactly the reference's flags, so the rest comes as a run gets it: artifacts from
DATA_DIR, fetched and verified on demand (MANIFEST, OFFLINE and DATA_SOURCE apply), and WORKERS
ROUGE processes.
"""

from __future__ import annotations

from harness import artifacts, command_settings
from harness.artifacts import Resolved
from harness.config import RunConfig
from harness.declaration import Benchmark

from . import sentences

# upstream's --dtype values for the Llama-2 and Mixtral logs, and the codec dtype each means
LOG_DTYPES = {"int32": "int32", "int64": "int64", "float": "float32"}


def settings(bench: Benchmark) -> RunConfig:
    """The harness settings from the environment (DATA_DIR, OFFLINE, MANIFEST, WORKERS, ...)."""
    return command_settings.scoring_settings(bench)


def artifact(bench: Benchmark, run_config: RunConfig, name: str) -> Resolved:
    """One of ``bench``'s artifacts, present and verified as a run resolves it, or MissingArtifactError."""
    manifest = artifacts.load_manifest(run_config.manifest)
    return artifacts.resolve_all(bench, run_config.data_dir, run_config.offline, manifest, run_config.data_source,
                                 names=(name,))[name]


def splitter(bench: Benchmark, run_config: RunConfig):
    """The sentence splitter of ``bench``'s verified punkt artifact."""
    return sentences.run_splitter(artifact(bench, run_config, "punkt"))
