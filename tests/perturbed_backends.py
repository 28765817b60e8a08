"""Backends for the diff tests: the benchmark's own reference backend, with the outputs of known
samples changed in known ways (BACKEND=perturbed_backends:<Class>, with tests/ on PYTHONPATH).

Each class changes exactly what its docstring says, by dataset index, so a test can assert that
``python -m harness diff`` reports exactly those differences and no others.
"""

from __future__ import annotations

import numpy as np

from harness.contract import Backend
from harness.declaration import load_object


class Perturbed(Backend):
    """Wraps the run's reference backend; ``change(index, output)`` alters one sample's output."""

    def __init__(self, dataset, run):
        super().__init__(dataset, run)
        self.reference = load_object(run.benchmark.backend)(dataset, run)

    @property
    def notes(self):
        return self.reference.notes

    def predict(self, indices):
        outputs = self.reference.predict(indices)
        return [self.change(index, np.array(output, order="C")) for index, output in zip(indices, outputs)]  # a copy

    def change(self, index: int, output: np.ndarray) -> np.ndarray:
        return output

    def cache_settings(self) -> dict:
        return {**self.reference.cache_settings(), "perturbed": type(self).__name__}

    def skip_stored(self, indices) -> None:
        self.reference.skip_stored(indices)

    def close(self) -> None:
        self.reference.close()


class FlipClasses(Perturbed):
    """ResNet50: samples 1 and 3 answer the next class (mod 1000)."""

    def change(self, index, output):
        if index in (1, 3):
            output[0] = (int(output[0]) + 1) % 1000
        return output


class ShiftBox(Perturbed):
    """RetinaNet: sample 1's first box moves right by a quarter of its width (IoU 0.6 with the
    original); sample 2's first detection scores 0.125 less."""

    def change(self, index, output):
        rows = output.reshape(-1, 7)  # [index, ymin, xmin, ymax, xmax, score, label]
        if index == 1:
            shift = (rows[0, 4] - rows[0, 2]) / 4
            rows[0, 2] += shift
            rows[0, 4] += shift
        if index == 2:
            rows[0, 5] -= np.float32(0.125)
        return output


class ClearVoxels(Perturbed):
    """3D-UNet: the first 1000 voxels of case 1 become background (label 0)."""

    def change(self, index, output):
        if index == 1:
            output.reshape(-1)[:1000] = 0
        return output


class AlterToken(Perturbed):
    """LLMs: the token at position 5 of sample 2 (Mixtral, whose answers are short: sample 0)
    becomes id 3, or 4 where it was 3: ordinary pieces, never BOS, EOS or padding."""

    def change(self, index, output):
        sample = 0 if self.run.benchmark.id == "mixtral_8x7b" else 2
        if index == sample:
            output[5] = 4 if output[5] == 3 else 3
        return output


class AppendWords(Perturbed):
    """RNN-T: sample 1's transcript gains the words " x y" (label ids 0 = space, 24 = x, 25 = y)."""

    def change(self, index, output):
        return np.concatenate([output, np.array([0, 24, 0, 25], dtype=output.dtype)]) if index == 1 else output


class RaiseScore(Perturbed):
    """DLRM-v2: the first predicted probability of sample 2 is 0.5 higher (labels unchanged)."""

    def change(self, index, output):
        if index == 2:
            output[0] += np.float32(0.5)
        return output


class ChangePixels(Perturbed):
    """SDXL: the first 48 values (16 RGB pixels) of image 1 move by 10 (up below 128, else down)."""

    def change(self, index, output):
        if index == 1:
            flat = output.reshape(-1)
            head = flat[:48].astype(np.int16)
            flat[:48] = np.where(head < 128, head + 10, head - 10).astype(np.uint8)
        return output


class ShiftLogits(Perturbed):
    """BERT: every start logit of sample 1 is 2.5 higher (the most likely start stays where it was)."""

    def change(self, index, output):
        if index == 1:
            output[:, 0] += np.float32(2.5)
        return output
