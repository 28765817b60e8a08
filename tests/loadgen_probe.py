"""Run one LoadGen test through harness.runner with a null dataset and an echo backend, in its own
process (LoadGen 4.1 allows one clean user-conf load per process), and print what happened as JSON.

    python tests/loadgen_probe.py '{"scenario": "Offline", "total": 23, "psc": 5, "outdir": "..."}'
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from harness import codecs, loadgen_logs, runner

ROOT = Path(__file__).resolve().parent.parent


class NullDataset:
    def __init__(self):
        self.loads, self.unloads = [], []

    def load(self, indices):
        self.loads.append(list(indices))

    def unload(self, indices):
        self.unloads.append(list(indices))


class EchoBackend:
    """Answers sample i with [i] (or ``tokens`` copies of i); raises on ``fail_on``."""

    def __init__(self, tokens: int = 0, fail_on: int | None = None):
        self.tokens, self.fail_on, self.batches = tokens, fail_on, []

    def predict(self, indices):
        self.batches.append(len(indices))
        if self.fail_on in indices:
            raise ValueError(f"backend failure on sample {self.fail_on}")
        return [np.full(max(self.tokens, 1), i, dtype=np.float32) for i in indices]


class HoldingContinuousBackend(EchoBackend):
    """A ``continuous`` backend that answers nothing until it holds every sample of the run, then
    ends them last-submitted first, each with its first token a moment before its completion: a
    runner that waited for a query's answer before handing over the next would never finish."""

    continuous = True

    def __init__(self, tokens: int, total: int, interrupt: bool = False):
        super().__init__(tokens)
        self.total, self.held, self.submits, self.interrupt, self.cancelled = total, [], [], interrupt, 0
        self.lock = threading.Lock()

    def submit(self, indices, first_token, done):
        self.submits.append(len(indices))
        with self.lock:
            self.held.extend((position, i, first_token, done) for position, i in enumerate(indices))
            if len(self.held) == self.total and self.interrupt:  # Ctrl-C with every sample in flight
                os.kill(os.getpid(), signal.SIGINT)
            elif len(self.held) == self.total:
                threading.Thread(target=self._answer, args=(list(self.held),)).start()

    def cancel(self):
        with self.lock:
            held, self.held = self.held, []
        self.cancelled = len(held)
        for position, _, _, done in held:
            done(position, RuntimeError("cancelled"))

    def _answer(self, held):
        for position, i, first_token, done in reversed(held):
            out = np.full(max(self.tokens, 1), i, dtype=np.float32)
            first_token(position, out[:1])
            time.sleep(0.002)
            done(position, out)


def one_test(spec: dict, outdir: Path) -> dict:
    user_conf = Path(spec.get("user_conf") or ROOT / "loadgen" / "user.conf")
    settings = runner.RunnerSettings(
        loadgen_model=spec.get("model", "resnet50"), scenario=spec.get("scenario", "Offline"),
        mode=spec.get("mode", "accuracy"), sample_count=spec.get("total", 20),
        performance_count=spec.get("psc", 1024), batch_size=spec.get("batch", 8), outdir=outdir,
        user_conf=user_conf, report_tokens=bool(spec.get("tokens")), continuous=bool(spec.get("continuous")))
    dataset, backend = NullDataset(), EchoBackend(spec.get("tokens", 0), spec.get("fail_on"))
    if spec.get("continuous"):
        backend = HoldingContinuousBackend(spec.get("tokens", 0), spec.get("total", 20), spec.get("interrupt", False))
    error = None
    try:
        runner.run(dataset, backend, codecs.FLOAT32, settings)
    except runner.RunnerError as exc:
        error = str(exc)
    except runner.Interrupted as exc:
        error = f"interrupted: {exc}"
    out = {"error": error, "loads": dataset.loads, "batches": backend.batches,
           "submits": getattr(backend, "submits", None), "cancelled": getattr(backend, "cancelled", None)}
    if (outdir / "mlperf_log_detail.txt").exists():
        values, errors = loadgen_logs.read_detail(outdir / "mlperf_log_detail.txt")
        out["detail"] = {k: v for k, v in values.items() if k.startswith(("effective_", "result_", "loadgen_"))}
        out["errors"] = errors
        out["files"] = sorted(p.name for p in outdir.iterdir())
        out["trace_bytes"] = (outdir / "mlperf_log_trace.json").stat().st_size
        out["accuracy_text"] = (outdir / "mlperf_log_accuracy.json").read_text()
        out["entries"] = json.loads(out["accuracy_text"])
    return out


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec.get("cwd"):
        os.chdir(spec["cwd"])
    outdir = Path(spec["outdir"])
    results = [one_test(spec, outdir / "first")]
    if spec.get("second_test"):
        results.append(one_test(spec, outdir / "second"))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
