"""RNN-T feature extraction throughput: the dataset's path (one process, torch's own threads)
vs a pool of spawned worker processes with one torch thread each, on the same generated 16 kHz
WAV utterances of dev-clean's typical length. The features are checked identical. Ratio > 1:
the dataset's one-process path is faster (the figure that decided the dataset's design).

    python bench/rnnt_features.py [--utterances 600] [--seconds 6.2] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import pool as processes  # noqa: E402
from speech_recognition.rnnt import dataset, demo  # noqa: E402
from speech_recognition.rnnt.features import SAMPLE_RATE, Featurizer  # noqa: E402


def write_wavs(folder: Path, count: int, seconds: float) -> list[Path]:
    import soundfile

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"utt_{i:04d}.wav"
        soundfile.write(str(path), demo.speech_like(rng, seconds * rng.uniform(0.5, 1.5)), SAMPLE_RATE,
                        subtype="PCM_16")
        paths.append(path)
    return paths


_featurizer = None


def _pool_features(path: str) -> np.ndarray:
    global _featurizer
    if _featurizer is None:
        import torch

        torch.set_num_threads(1)  # the processes are the parallelism
        _featurizer = Featurizer()
    return _featurizer(dataset.read_audio(path))


def pool_features(paths: list, workers: int) -> list[np.ndarray]:
    """The alternative: worker processes (spawned, since torch is loaded here; each imports torch),
    features sent back by pipe."""
    with processes.executor(workers) as pool:
        return list(pool.map(_pool_features, [str(p) for p in paths], chunksize=8))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--utterances", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=6.2, help="mean length (dev-clean: about 6.2 s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rnnt-features-"))
    try:
        paths = write_wavs(work / "wav", args.utterances, args.seconds)
        Featurizer()(dataset.read_audio(paths[0]))  # imports and first-call costs out of the timings
        ours_runs, base_runs = [], []
        for _ in range(args.repeats):  # alternate, so machine noise hits both alike
            start = time.perf_counter()
            single = dataset.features_of_files(paths)
            ours_runs.append(args.utterances / (time.perf_counter() - start))
            start = time.perf_counter()
            parallel = pool_features(paths, args.workers)
            base_runs.append(args.utterances / (time.perf_counter() - start))
        same = all(np.array_equal(a, b) for a, b in zip(single, parallel))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not same:
        raise SystemExit("features differ between the parallel and the single-process path")
    ours, base = statistics.median(ours_runs), statistics.median(base_runs)
    print(f"RNN-T features of {args.utterances} utterances (~{args.seconds:g} s), utterances/s, median of "
          f"{args.repeats} (worker start-up included)")
    print(f"  {'one process (ours)':<32} {ours:8.1f}")
    print(f"  {f'{args.workers} worker processes':<32} {base:8.1f}")
    print(json.dumps({"bench": "rnnt_features", "ours": round(ours, 2), "baseline": round(base, 2),
                      "ratio": round(ours / base, 3), "unit": "utterances/s"}))


if __name__ == "__main__":
    main()
