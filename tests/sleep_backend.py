"""A backend of known capacity for the performance tests: it sleeps a fixed time per sample
(SLEEP_BACKEND_MS, default 5 ms: 200 samples/s at batch size 1) and answers class 0, computing nothing."""

import os
import time

import numpy as np

from harness.contract import Backend


class SleepBackend(Backend):
    def predict(self, indices) -> np.ndarray:
        time.sleep(float(os.environ.get("SLEEP_BACKEND_MS", "5")) / 1000 * len(indices))
        return np.zeros((len(indices), 1), np.float32)
