"""The one way the LLM benchmarks open a dataset pickle: hash it right before unpickling.

Unpickling runs code named by the file, so a pickle is refused unless a checksum is given and the
file has it at the moment it is read (not only when it was downloaded).
"""

from __future__ import annotations

from harness import fetch


def read_verified_frame(path, columns: tuple[str, ...], what: str, sha256: str | None = None,
                        md5: str | None = None):
    """The DataFrame in ``path`` with its index reset; ``what`` names the expected file in errors."""
    if not (sha256 or md5):
        raise ValueError(f"{path}: refusing to unpickle a file without a known checksum; give its sha256 in a "
                         "MANIFEST (see the dataset artifact's instructions) or with --dataset-sha256")
    try:
        fetch.verify(path, sha256=sha256, md5=md5)
    except fetch.FetchError as exc:
        raise ValueError(f"{exc}; not unpickled") from None
    import pandas as pd

    frame = pd.read_pickle(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {missing}; expected {what}")
    return frame.reset_index(drop=True)
