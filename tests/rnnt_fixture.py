"""The generated RNN-T fixture, the transcripts its tiny model gives, and manifests with known WER."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import sha256

COUNT = 12


def build(folder: Path) -> dict:
    """Fixture + the model's transcript of each kept utterance, decoded directly (no LoadGen)."""
    import torch

    from speech_recognition.rnnt import demo, librispeech, model, text
    from speech_recognition.rnnt.dataset import read_audio
    from speech_recognition.rnnt.features import Featurizer

    # One thread: tiny tensors gain nothing from more, and a busy machine makes spinning
    # OpenMP threads very slow.
    torch.set_num_threads(1)
    manifest = demo.build(folder, count=COUNT, seed=5)
    entries = json.loads((folder / "dataset" / "dev-clean-wav.json").read_text())
    kept = librispeech.read_manifest(folder / "dataset" / "dev-clean-wav.json")
    net, featurize = model.load(str(folder / "rnnt_tiny.pt")), Featurizer()
    root = folder / "dataset"
    predicted = []
    for utt in kept:
        feats = featurize(read_audio(root / librispeech.flac_for(utt.wav)))
        predicted.append(text.to_text(net.greedy_decode(torch.from_numpy(feats))))
    return {"folder": folder, "manifest": manifest, "entries": entries, "predicted": predicted}


def labelled(fixture: dict, where: Path, correct: int) -> tuple[Path, int, int]:
    """A run manifest whose references equal the model's transcripts for the first ``correct``
    utterances and add one word to the others: returns (path, errors, reference words)."""
    where.mkdir(parents=True, exist_ok=True)
    entries = json.loads(json.dumps(fixture["entries"]))
    kept = [e for e in entries if e["original_duration"] <= 15.0]
    errors = words = 0
    for i, (entry, hyp) in enumerate(zip(kept, fixture["predicted"])):
        ref = hyp if i < correct else hyp + " extra"
        entry["transcript"] = ref
        errors += i >= correct
        words += len(ref.split())
    (where / "dev-clean-wav.json").write_text(json.dumps(entries, indent=2))
    folder = fixture["folder"]
    manifest = {"demo": False, "count": len(kept), "artifacts": {
        "weights": {"path": str(folder / "rnnt_tiny.pt"), "sha256": sha256(folder / "rnnt_tiny.pt")},
        "manifest": {"path": str(where / "dev-clean-wav.json"), "sha256": sha256(where / "dev-clean-wav.json")},
        "librispeech": {"path": str(folder / "dataset")}}}
    path = where / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path, errors, words
