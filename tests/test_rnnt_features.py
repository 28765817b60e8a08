"""RNN-T features and model: the reference's settings, checked on known values."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from speech_recognition.rnnt import features, model  # noqa: E402
from speech_recognition.rnnt.features import Featurizer, mel_filterbank  # noqa: E402


def test_mel_filterbank_equals_librosa_slaney():
    fb = mel_filterbank()
    # values printed by librosa 0.11.0: filters.mel(sr=16000, n_fft=512, n_mels=80, fmin=0, fmax=8000)
    assert fb.shape == (80, 257) and fb.dtype == np.float32
    assert float(fb[0, 1]) == 0.022534560412168503
    assert float(fb[40].sum()) == pytest.approx(0.032116297632455826, rel=1e-6)
    assert int(fb[79].argmax()) == 246 and float(fb.sum()) == pytest.approx(2.558260679244995, rel=1e-6)


def test_frame_counts_follow_the_reference():
    assert Featurizer.out_frames(105440) == 220  # 660 frames, stacked by 3
    assert [Featurizer.out_frames(n) for n in (1, 160, 161, 480, 481)] == [1, 1, 1, 1, 2]
    feats = Featurizer()(np.random.default_rng(0).normal(0, 0.1, 105440).astype(np.float32))
    assert feats.shape == (220, 240) and feats.dtype == np.float32
    # per-feature normalisation with the unbiased std (+1e-5)
    assert np.allclose(feats.mean(0), 0, atol=1e-5) and np.allclose(feats.std(0, ddof=1), 1, atol=1e-3)


def test_silence_gives_the_dither_floor_in_every_band():
    logmel = Featurizer().log_mel(np.zeros(1600, dtype=np.float32)).numpy()
    expected = np.log(mel_filterbank().astype(np.float64).sum(1) * 1e-10 + 1e-20)
    assert logmel.shape == (80, 11) and np.allclose(logmel, expected[:, None], rtol=1e-5)


def test_log_mel_matches_an_independent_numpy_computation():
    x = np.random.default_rng(1).normal(0, 0.1, 4000).astype(np.float32)
    y = np.concatenate([x[:1], x[1:] - 0.97 * x[:-1]]).astype(np.float64)
    padded = np.pad(y, 256, mode="reflect")
    n = np.arange(320)
    window = np.zeros(512)
    window[96:416] = 0.5 - 0.5 * np.cos(2 * np.pi * n / 319)  # symmetric Hann, centred in 512
    frames = np.stack([padded[i * 160:i * 160 + 512] * window for i in range(1 + len(x) // 160)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-10
    expected = np.log(mel_filterbank().astype(np.float64) @ power.T + 1e-20)
    assert np.allclose(Featurizer().log_mel(x).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_stacking_puts_zero_log_frames_past_the_end():
    fz = Featurizer()
    x = np.random.default_rng(2).normal(0, 0.1, 800).astype(np.float32)  # 6 frames, 2 stacked frames
    logmel = fz.log_mel(x).numpy()
    stacked = np.concatenate([logmel, np.pad(logmel[:, 1:], ((0, 0), (0, 1))),
                              np.pad(logmel[:, 2:], ((0, 0), (0, 2)))])[:, ::3][:, :fz.out_frames(800)]
    mean, std = stacked.mean(1, keepdims=True), stacked.std(1, ddof=1, keepdims=True) + features.STD_GUARD
    assert np.allclose(fz(x), ((stacked - mean) / std).T, atol=1e-4)


def test_reference_sizes_give_the_reference_parameter_count_and_names():
    net = model.RNNT()
    assert sum(p.numel() for p in net.parameters()) == 45_323_037
    keys = set(net.state_dict())
    assert {"encoder.pre_rnn.lstm.weight_ih_l1", "encoder.post_rnn.lstm.bias_hh_l2", "prediction.embed.weight",
            "prediction.dec_rnn.lstm.weight_hh_l1", "joint.net.0.weight", "joint.net.3.bias"} <= keys
    assert net.joint.net[3].out_features == 29 and net.prediction.embed.num_embeddings == 28


def test_a_reference_style_checkpoint_loads_strictly(tmp_path):
    cfg = model.RNNTConfig(encoder_hidden=8, pred_hidden=4, joint_hidden=6)
    net = model.RNNT(cfg)
    state = {f"module.{k.replace('joint.net', 'joint_net')}": v for k, v in net.state_dict().items()}
    state["audio_preprocessor.featurizer.fb"] = torch.zeros(1, 80, 257)
    torch.save({"state_dict": state, "epoch": 99}, tmp_path / "ck.pt")
    loaded = model.load(str(tmp_path / "ck.pt"), cfg)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), loaded.state_dict().values()))


def test_greedy_decoding_stops_at_30_labels_per_frame():
    cfg = model.RNNTConfig(encoder_hidden=8, pred_hidden=4, joint_hidden=6)
    net = model.RNNT(cfg).eval()
    with torch.no_grad():
        net.joint.net[3].bias.zero_()
        net.joint.net[3].bias[5] = 100.0  # always "e": every frame hits the limit
    feats = torch.zeros(5, 240)  # 5 frames -> 3 encoder frames after stacking by 2
    assert net.greedy_decode(feats) == [5] * 90
    with torch.no_grad():
        net.joint.net[3].bias[28] = 200.0  # always blank
    assert net.greedy_decode(feats) == []


def test_missing_audio_and_wrong_rates_are_errors(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    from speech_recognition.rnnt import dataset, librispeech

    utt = librispeech.Utterance("dev-clean-wav/1/2/1-2-0000.wav", "a", 1.0)
    assert librispeech.flac_for(utt.wav) == "LibriSpeech/dev-clean/1/2/1-2-0000.flac"
    with pytest.raises(FileNotFoundError, match="neither a WAV nor a FLAC"):
        librispeech.convert_missing(tmp_path, [utt])
    soundfile.write(str(tmp_path / "8k.wav"), np.zeros(800, dtype=np.int16), 8000, subtype="PCM_16")
    with pytest.raises(ValueError, match="8000 Hz"):
        dataset.read_audio(tmp_path / "8k.wav")
