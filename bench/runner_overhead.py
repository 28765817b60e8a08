"""Harness overhead: Offline throughput of the runner with a null backend vs a minimal raw LoadGen
SUT, both in this process, alternating, median of the repetitions. Ratio > 1: the runner is faster.

    python bench/runner_overhead.py [--samples 200000] [--repeats 5] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import codecs, loadgen_logs, runner  # noqa: E402


class NullDataset:
    def load(self, indices):
        pass

    def unload(self, indices):
        pass


class NullBackend:
    """Answers every sample with class 0, as one stacked array (what the ResNet backend returns)."""

    def predict(self, indices):
        return np.zeros((len(indices), 1), np.float32)


def samples_per_second(outdir: Path) -> float:
    return float(loadgen_logs.read_detail(outdir / "mlperf_log_detail.txt")[0]["result_samples_per_second"])


def raw_loadgen(lg, conf: Path, samples: int, outdir: Path) -> float:
    """The smallest correct SUT: complete the whole query inside the issue callback."""
    payload = np.zeros(1, np.float32)
    ptr, size = payload.ctypes.data, payload.nbytes

    def issue(query_samples):
        lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, ptr, size) for q in query_samples])

    ts = lg.TestSettings()
    ts.FromConfig("", "bench", "Offline", True)
    ts.FromConfig(str(conf), "bench", "Offline", False)
    ts.scenario, ts.mode = lg.TestScenario.Offline, lg.TestMode.PerformanceOnly
    outdir.mkdir(parents=True)
    log = lg.LogSettings()
    log.log_output.outdir = str(outdir)
    log.enable_trace = False
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(samples, samples, lambda s: None, lambda s: None)
    lg.StartTestWithLogSettings(sut, qsl, ts, log, str(outdir / "absent.config"))
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    return samples_per_second(outdir)


def harness_runner(conf: Path, samples: int, batch: int, outdir: Path) -> float:
    settings = runner.RunnerSettings(loadgen_model="bench", scenario="Offline", mode="performance",
                                     sample_count=samples, performance_count=samples, batch_size=batch,
                                     outdir=outdir, user_conf=conf)
    runner.run(NullDataset(), NullBackend(), codecs.FLOAT32, settings)
    return samples_per_second(outdir)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    import mlperf_loadgen as lg

    work = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    conf = work / "user.conf"
    conf.write_text(f"*.Offline.min_duration = 0\n*.Offline.min_query_count = {args.samples}\n")
    ours, base = [], []
    for i in range(args.repeats):
        base.append(raw_loadgen(lg, conf, args.samples, work / f"raw{i}"))
        ours.append(harness_runner(conf, args.samples, args.batch_size, work / f"ours{i}"))
    o, b = statistics.median(ours), statistics.median(base)
    print(f"Offline, {args.samples} samples, null backend, batch size {args.batch_size}, "
          f"median of {args.repeats} alternating runs (samples/s as LoadGen reports them)")
    print(f"  {'harness runner':<22} {o:>12,.0f}   runs: {', '.join(f'{x:,.0f}' for x in ours)}")
    print(f"  {'raw LoadGen SUT':<22} {b:>12,.0f}   runs: {', '.join(f'{x:,.0f}' for x in base)}")
    print(f"  ratio ours/baseline    {o / b:.3f}   (target >= 0.9)")
    print(json.dumps({"bench": "runner_overhead_offline", "ours": round(o, 1), "baseline": round(b, 1),
                      "ratio": round(o / b, 4), "unit": "samples/s"}))


if __name__ == "__main__":
    main()
