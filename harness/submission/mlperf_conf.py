"""The mlperf.conf the runs used: the v4.1 file that the pinned LoadGen wheel compiles in.

The runner passes "" to ``TestSettings.FromConfig``, which loads the copy embedded in the
``mlperf_loadgen`` library; the wheel ships no separate file and the module has no call that returns
it, so the text is read out of the library: from its first line to the end of the C string. The
copy is checked against the version of the wheel the runs recorded and the seed they logged.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from ..errors import MissingArtifactError

FIRST_LINE = b"# The format of this config file is 'key = value'."


def libraries(environments: list[Path]) -> list[Path]:
    """``mlperf_loadgen`` libraries that may be the runs': this interpreter's, then those of the
    given environments (the benchmarks' and the project's)."""
    found = []
    spec = importlib.util.find_spec("mlperf_loadgen")  # locates the extension without loading it
    if spec is not None and spec.origin:
        found.append(Path(spec.origin))
    for environment in environments:
        found += sorted(environment.glob("lib/python3*/site-packages/mlperf_loadgen*.so"))
    return list(dict.fromkeys(path.resolve() for path in found))


def wheel_version(library: Path) -> str | None:
    """The mlcommons-loadgen version installed beside ``library`` (its dist-info folder)."""
    prefix, suffix = "mlcommons_loadgen-", ".dist-info"
    dists = sorted(library.parent.glob(f"{prefix}*{suffix}"))
    return dists[-1].name[len(prefix):-len(suffix)] if dists else None


@lru_cache(maxsize=8)
def embedded_text(library: Path) -> str | None:
    data = library.read_bytes()
    start = data.find(FIRST_LINE)
    if start < 0:
        return None
    return data[start:data.find(b"\0", start)].decode("ascii")


def mlperf_conf(version: str, qsl_seed: int | None, environments: list[Path]) -> str:
    """The mlperf.conf embedded in mlcommons-loadgen ``version``; when the run logged its QSL seed,
    the text must set that seed (so it is the file the run read)."""
    seen = []
    for library in libraries(environments):
        found = wheel_version(library)
        seen.append(f"{library} (mlcommons-loadgen {found or 'of unknown version'})")
        text = embedded_text(library) if found == version else None
        if text and (qsl_seed is None or f"*.*.qsl_rng_seed = {qsl_seed}\n" in text):
            return text
    raise MissingArtifactError(
        f"the runs used the mlperf.conf embedded in mlcommons-loadgen {version}, and no installed copy of that "
        f"wheel was found to read it from (looked at: {'; '.join(seen) or 'none'}). Build an environment that "
        f"has it (`make venv`, or `bash scripts/build_env.sh <benchmark>`), then export again.")
