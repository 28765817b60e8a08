"""The LibriSpeech dev-clean manifest and the FLAC -> 16 kHz WAV conversion.

The manifest is the reference's committed ``dev-clean-wav.json``: a list of utterances whose
``files[]`` entry with ``speed == 1`` names ``dev-clean-wav/<spk>/<chapter>/<utt>.wav``
relative to the dataset folder. Entries with ``original_duration > 15.0`` (from the JSON, not
the audio) are dropped; the i-th kept entry is qsl index i (2,513 of 2,703 for dev-clean).
The WAV files are the FLAC samples written as 16-bit PCM, unchanged (the reference's sox
conversion at speed 1 and the same rate changes no sample).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.pool import executor

MAX_DURATION = 15.0
FLAC_ROOT = "LibriSpeech/dev-clean"  # inside the dataset folder, as the tarball unpacks


@dataclass(frozen=True)
class Utterance:
    wav: str  # relative to the dataset folder
    transcript: str  # as in the manifest (already lower case)
    duration: float


def read_manifest(path, max_duration: float = MAX_DURATION) -> list[Utterance]:
    """The kept utterances in manifest order."""
    with open(path) as handle:
        entries = json.load(handle)
    kept = []
    for number, entry in enumerate(entries):
        if max_duration is not None and entry["original_duration"] > max_duration:
            continue
        files = [f for f in entry["files"] if f.get("speed", 1) == 1]
        if not files:
            raise ValueError(f"{path}: entry {number} has no file at speed 1")
        kept.append(Utterance(files[-1]["fname"], entry["transcript"], float(entry["original_duration"])))
    return kept


def flac_for(wav: str) -> str:
    """``dev-clean-wav/<spk>/<ch>/<utt>.wav`` -> ``LibriSpeech/dev-clean/<spk>/<ch>/<utt>.flac``."""
    parts = Path(wav).with_suffix(".flac").parts
    return str(Path(FLAC_ROOT, *parts[1:]))


def _convert(job: tuple[str, str]) -> str:
    import soundfile

    flac, wav = job
    samples, rate = soundfile.read(flac, dtype="int16")
    tmp = wav + ".tmp"
    os.makedirs(os.path.dirname(wav), exist_ok=True)
    soundfile.write(tmp, samples, rate, subtype="PCM_16", format="WAV")
    os.replace(tmp, wav)  # a crash never leaves a half-written wav under the real name
    return wav


def convert_missing(root: Path, utterances: list[Utterance], workers: int = 1) -> int:
    """Write every missing WAV from its FLAC; returns how many were written."""
    jobs, missing = [], []
    for utt in utterances:
        wav = root / utt.wav
        if wav.is_file():
            continue
        flac = root / flac_for(utt.wav)
        (jobs if flac.is_file() else missing).append((str(flac), str(wav)))
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} utterance(s) have neither a WAV nor a FLAC under {root} (first: {missing[0][1]}); "
            f"unpack dev-clean.tar.gz there (it holds {FLAC_ROOT}/)")
    if workers <= 1 or len(jobs) < 2:
        for job in progress.track(jobs, "FLAC to WAV", unit=" files"):
            _convert(job)
    else:
        with executor(min(workers, len(jobs))) as pool:
            list(progress.track(pool.map(_convert, jobs, chunksize=16), "FLAC to WAV", len(jobs), " files"))
    return len(jobs)


def build_manifest(root: Path, wav_dir: str = "dev-clean-wav") -> list[dict]:
    """A manifest in the reference's format from ``*.trans.txt`` files (for fixtures and other
    splits; the real run uses the committed manifest so that qsl order is fixed)."""
    import soundfile

    entries = []
    for trans in sorted((root / FLAC_ROOT).rglob("*.trans.txt")):
        for line in trans.read_text().splitlines():
            if not line.strip():
                continue
            utt, _, text = line.partition(" ")
            spk, chapter, _ = utt.split("-")
            info = soundfile.info(str(trans.parent / f"{utt}.flac"))
            duration = round(info.frames / info.samplerate, 2)
            entries.append({
                "files": [{"channels": 1, "sample_rate": float(info.samplerate), "bitrate": 16,
                           "duration": duration, "num_samples": info.frames, "encoding": "Signed Integer PCM",
                           "silent": False, "fname": f"{wav_dir}/{spk}/{chapter}/{utt}.wav", "speed": 1}],
                "original_duration": duration, "original_num_samples": info.frames,
                "transcript": text.lower().strip()})
    return entries
