"""The one way the LLM benchmarks open a dataset pickle: ``harness.pickles.read_frame``.

When a checksum is known (a declared checksum, a MANIFEST entry with sha256/md5, or a flag) the
file must have it at the moment it is read, not only when it was downloaded. Known or not, the
pickle is rebuilt by the harness' allow-list unpickler, which accepts pandas/numpy data only and
refuses anything that would run code, so a file with no known checksum (upstream's command lines
have no checksum flag) can be read too.
"""

from __future__ import annotations

from harness import pickles


def read_verified_frame(path, columns: tuple[str, ...], what: str, sha256: str | None = None,
                        md5: str | None = None):
    """The DataFrame in ``path`` with its index reset; ``what`` names the expected file in errors.

    Checked against ``sha256``/``md5`` first when either is given; errors are ValueErrors.
    """
    return pickles.read_frame(path, columns, what, sha256=sha256, md5=md5)
