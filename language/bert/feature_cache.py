"""Features are built once per (dataset file, vocab file) pair and kept as JSON.

The cache records the sha256 of both files and a format name, and is used only when all three
match, so switching between the real data and a fixture can never pick up stale features (the
reference's ``eval_features.pickle`` in the working directory could). JSON, not pickle: reading
a cache runs no code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.hashing import file_digest

from . import features as feats
from .tokenization import wordpiece_tokenizer

FORMAT = "bert-squad-features/1"


class CacheError(ValueError):
    pass


def identity(dataset_path, vocab_path) -> dict:
    return {"format": FORMAT, "dataset_sha256": file_digest(dataset_path, "sha256"),
            "vocab_sha256": file_digest(vocab_path, "sha256")}


def default_path(dataset_path, ident: dict) -> Path:
    """Beside the dataset, named by both checksums."""
    name = f"{ident['dataset_sha256'][:16]}-{ident['vocab_sha256'][:16]}.json"
    return Path(dataset_path).resolve().parent / "bert-features" / name


def read(path: Path, ident: dict) -> list[feats.Feature] | None:
    """The cached features, None when there is no cache; CacheError when the file is not one
    for these inputs (it is left alone: nothing is overwritten silently)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = {k: data.get(k) for k in ident}
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        raise CacheError(f"{path} is not a feature cache of this harness (a pickle from the reference "
                         "scripts is never loaded: unpickling runs code); delete it or give another path"
                         ) from None
    if found != ident:
        raise CacheError(f"{path} holds features of another dataset or vocab ({found}); delete it or "
                         "give another path")
    return [feats.Feature.from_json(row) for row in data["features"]]


def write(path: Path, ident: dict, features: list[feats.Feature]) -> bool:
    """Write atomically; False (and the run goes on) when the folder is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        body = {**ident, "count": len(features), "features": [f.to_json() for f in features]}
        tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError:
        return False


def load_or_build(examples, dataset_path, vocab_path, cache_path=None, log=print) -> list[feats.Feature]:
    """The features of ``examples``: from the cache when it fits, else built (the WordPiece
    tokenizer is made only then) and cached."""
    ident = identity(dataset_path, vocab_path)
    path = Path(cache_path) if cache_path else default_path(dataset_path, ident)
    cached = read(path, ident)
    if cached is not None:
        log(f"   {len(cached)} features from the cache {path}")
        return cached
    built = feats.convert(examples, wordpiece_tokenizer(vocab_path))
    if write(path, ident, built):
        log(f"   {len(built)} features from {len(examples)} questions, cached at {path}")
    else:
        log(f"   {len(built)} features from {len(examples)} questions (cache folder not writable: {path.parent})")
    return built
