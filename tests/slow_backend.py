"""A backend for the resume test: the reference ResNet backend, slowed down, announcing each batch."""

import os
import time
from pathlib import Path

from vision.resnet50.backend import ReferenceBackend


class SlowBackend(ReferenceBackend):
    def predict(self, indices):
        outputs = super().predict(indices)
        with Path(os.environ["SLOW_BACKEND_TRACE"]).open("a") as trace:
            trace.write(f"{len(indices)}\n")
        time.sleep(float(os.environ.get("SLOW_BACKEND_SLEEP", "0.4")))
        return outputs
