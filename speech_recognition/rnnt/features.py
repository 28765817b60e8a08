"""Log-mel features exactly as the reference FilterbankFeatures computes them at evaluation.

Settings of the reference config: 16 kHz, 20 ms symmetric Hann window (320 samples) zero-padded
to n_fft 512, 10 ms hop, pre-emphasis 0.97, power spectrum + 1e-10 (the deterministic
stand-in for dither 1e-5, squared), 80 Slaney mel filters, natural log of (x + 1e-20), three
frames stacked and every third kept (240 features), per-feature normalisation with the unbiased
std + 1e-5. No silence trimming: the reference loader passes trim=False whatever the config says.
The mel matrix is built here in numpy the way librosa.filters.mel builds it (Slaney scale and
area normalisation), so librosa is not needed at run time.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 512
WIN_LENGTH = 320
HOP = 160
N_MELS = 80
STACK = 3
PREEMPH = 0.97
DITHER_POWER = 1e-5 ** 2
LOG_GUARD = 1e-20
STD_GUARD = 1e-5


def _hz_to_mel(hz):
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa htk=False)."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    mel = hz / f_sp
    above = hz >= min_log_hz
    return np.where(above, min_log_mel + np.log(np.maximum(hz, 1e-30) / min_log_hz) / logstep, mel)


def _mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS,
                   fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) float32 triangles with Slaney area normalisation."""
    fmax = sr / 2 if fmax is None else fmax
    fft_freqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_points = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(mel_points)
    ramps = mel_points[:, None] - fft_freqs[None, :]
    weights = np.zeros((n_mels, len(fft_freqs)), dtype=np.float32)
    for i in range(n_mels):
        lower = -ramps[i] / widths[i]
        upper = ramps[i + 2] / widths[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_points[2:n_mels + 2] - mel_points[:n_mels]))[:, None]
    return weights


class Featurizer:
    """Waveform (float32, one utterance) -> features (frames, 240), float32, time-major."""

    def __init__(self):
        import torch

        self.torch = torch
        self.window = torch.hann_window(WIN_LENGTH, periodic=False, dtype=torch.float32)
        self.fb = torch.from_numpy(mel_filterbank())

    @staticmethod
    def out_frames(num_samples: int) -> int:
        return ((num_samples + HOP - 1) // HOP + STACK - 1) // STACK

    def log_mel(self, waveform: np.ndarray):
        """(80, 1 + N // 160) natural-log mel energies of the pre-emphasised, framed signal."""
        torch = self.torch
        x = torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32))
        x = torch.cat([x[:1], x[1:] - PREEMPH * x[:-1]])
        spec = torch.view_as_real(torch.stft(
            x, n_fft=N_FFT, hop_length=HOP, win_length=WIN_LENGTH, window=self.window, center=True,
            pad_mode="reflect", normalized=False, onesided=True, return_complex=True))
        power = spec[..., 0] ** 2 + spec[..., 1] ** 2 + DITHER_POWER
        return torch.log(torch.matmul(self.fb, power) + LOG_GUARD)

    def __call__(self, waveform: np.ndarray) -> np.ndarray:
        torch = self.torch
        out_len = self.out_frames(len(waveform))
        logmel = self.log_mel(waveform)
        # Frame t carries frames t, t+1, t+2; frames past the end are 0 in the log domain.
        shifted = [logmel] + [torch.nn.functional.pad(logmel[:, k:], (0, k)) for k in range(1, STACK)]
        valid = torch.cat(shifted, dim=0)[:, ::STACK][:, :out_len]  # (240, out_len)
        mean = valid.mean(dim=1, keepdim=True)
        std = valid.std(dim=1, keepdim=True) + STD_GUARD  # unbiased, as torch.std in the reference
        return ((valid - mean) / std).T.contiguous().numpy()
