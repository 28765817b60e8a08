"""Real synthesised speech (espeak-ng + sox): our FLAC -> WAV conversion equals sox's, sample for
sample, and the features have the reference's shape. Skipped where the tools are not installed
(``apt-get install -y espeak-ng sox``)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile")
pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                reason="espeak-ng and sox are not installed (apt-get install -y espeak-ng sox)")

from speech_recognition.rnnt import librispeech  # noqa: E402
from speech_recognition.rnnt.dataset import read_audio  # noqa: E402
from speech_recognition.rnnt.features import Featurizer  # noqa: E402


def test_flac_to_wav_matches_sox_and_features_have_the_reference_shape(tmp_path):
    chapter = tmp_path / librispeech.FLAC_ROOT / "1272" / "128104"
    chapter.mkdir(parents=True)
    raw, flac = tmp_path / "raw.wav", chapter / "1272-128104-0000.flac"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), "mister quilter is the apostle"], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(flac)], check=True)
    (chapter / "1272-128104.trans.txt").write_text("1272-128104-0000 MISTER QUILTER IS THE APOSTLE\n")

    utts = [librispeech.Utterance(e["files"][0]["fname"], e["transcript"], e["original_duration"])
            for e in librispeech.build_manifest(tmp_path)]
    assert [u.wav for u in utts] == ["dev-clean-wav/1272/128104/1272-128104-0000.wav"]
    assert librispeech.convert_missing(tmp_path, utts) == 1
    assert librispeech.convert_missing(tmp_path, utts) == 0  # nothing left to do

    ours = tmp_path / utts[0].wav
    by_sox = tmp_path / "sox.wav"
    subprocess.run(["sox", str(flac), str(by_sox), "speed", "1"], check=True)  # the reference's conversion
    a, rate = soundfile.read(str(ours), dtype="int16")
    b, _ = soundfile.read(str(by_sox), dtype="int16")
    assert rate == 16000 and np.array_equal(a, b) and np.array_equal(a, soundfile.read(str(flac), dtype="int16")[0])

    audio = read_audio(ours)
    assert audio.dtype == np.float32 and np.array_equal(audio, a.astype(np.float32) / 32768)
    feats = Featurizer()(audio)
    assert feats.shape == (Featurizer.out_frames(len(audio)), 240) and np.isfinite(feats).all()
