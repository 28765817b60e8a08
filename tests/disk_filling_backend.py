"""A backend for the full-disk test: the reference ResNet backend that, at its FILL_DISK_AT-th batch,
fills the disk of LOG_DIR with a file, as another program on a shared machine could."""

import errno
import os
from pathlib import Path

from vision.resnet50.backend import ReferenceBackend


class DiskFillingBackend(ReferenceBackend):
    batches = 0

    def predict(self, indices):
        outputs = super().predict(indices)
        self.batches += 1
        if self.batches == int(os.environ.get("FILL_DISK_AT", "0")):
            chunk = b"\0" * (64 << 10)
            with (Path(os.environ["LOG_DIR"]) / "filler").open("wb", buffering=0) as filler:
                try:
                    while True:
                        filler.write(chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        return outputs
