"""DLRM-v2 on the CPU: samples/s of the torchrec engine (DistributedModelParallel with fbgemm's
kernels, DLRM_ENGINE=torchrec) vs our table-wise engine (DLRM_ENGINE=tables), through the
harness backend, at WORLD_SIZE 1 and 2, in the same run.

The model is the real architecture (26 tables of dim 128 with the real multi-hot sizes, dense
512-256-128, three cross layers of rank 512, over 1024-1024-512-256-1) with each table cut to at
most --rows-cap rows, random weights written as a torchsnapshot folder, and random rows (uniform
indices) grouped into the reference's aggregated samples. Two figures per world size: the whole
predict call (what a run gets; the dense layers, alike in both engines, take most of it) and the
table lookup alone (the part the engines differ in). Engines alternate, each built, timed over
--batches batches of --batch-size samples and closed, --repeats times; the best of the repeats
is reported (the machines are shared: medians of identical dense work moved by +-30 % between
runs). Both engines must give the same predictions. Ratio > 1: the torchrec engine is faster.

    python bench/dlrm_engines.py [--rows-cap 50000] [--batch-size 8] [--batches 4] [--repeats 5] [--worlds 1,2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGINES = ("torchrec", "tables")
LOOKUP_PASSES = 10  # the lookups alone are quick: time them over the batches this many times


def write_fixture(folder: Path, rows_cap: int, samples: int, seed: int = 0) -> None:
    import torch

    from recommendation.dlrm_v2 import aggregation, demo, snapshot
    from recommendation.dlrm_v2.criteo import DENSE_FEATURES, MULTI_HOT_SIZES
    from recommendation.dlrm_v2.model import DLRM_DCN, TABLE_PREFIX, TABLE_ROWS, DLRMConfig

    cfg = DLRMConfig(table_rows=tuple(min(r, rows_cap) for r in TABLE_ROWS))
    offsets = aggregation.sample_offsets(700 * samples, aggregation.read_quantiles())[:samples + 1]
    rows = 2 * int(offsets[-1])  # the validation half holds the samples
    rng = np.random.default_rng(seed)
    data = folder / "data"
    data.mkdir(parents=True)
    np.save(data / demo.DATA_FILES["dense"], rng.uniform(0, 9, (rows, DENSE_FEATURES)).astype(np.float32))
    np.save(data / demo.DATA_FILES["labels"], rng.integers(0, 2, (rows, 1), dtype=np.int32))
    np.savez(data / demo.DATA_FILES["sparse"], **{
        str(k): rng.integers(0, cfg.table_rows[k], (rows, size), dtype=np.int32)
        for k, size in enumerate(MULTI_HOT_SIZES)})
    torch.manual_seed(seed)
    model = DLRM_DCN(cfg)
    with torch.no_grad():  # small logits, so that the sigmoid does not saturate
        model.over_arch.model[1].weight.mul_(1e-3)
    snapshot.write(folder / "weights", model.state_dict(), world_size=2,
                   sharded=lambda name: name.startswith(TABLE_PREFIX))


def backend_for(folder: Path, engine: str, world: int, samples: int):
    from harness import registry
    from harness.artifacts import Resolved
    from harness.config import resolve
    from harness.contract import Run
    from recommendation.dlrm_v2 import demo
    from recommendation.dlrm_v2.backend import ReferenceBackend
    from recommendation.dlrm_v2.dataset import MultihotCriteoDataset

    artifacts = {n: Resolved(n, folder / "data" / f) for n, f in demo.DATA_FILES.items()}
    artifacts["weights"] = Resolved("weights", folder / "weights")
    bench = registry.get("dlrm-v2")
    config = resolve(bench, env={"N_COUNT": str(samples), "DEVICE": "cpu", "DLRM_ENGINE": engine,
                                 "WORLD_SIZE": str(world)})
    job = Run(bench, config, artifacts, range(samples))
    return ReferenceBackend(MultihotCriteoDataset(job), job)


def measure(folder: Path, engine: str, world: int, batches: list[list[int]]) -> dict:
    """Samples/s of predict and of the lookup alone, and the predictions (for the agreement check)."""
    import torch

    backend = backend_for(folder, engine, world, max(i for b in batches for i in b) + 1)
    try:
        backend.predict(batches[0])  # warm-up: first-call allocations and kernel selection
        start = time.perf_counter()
        answers = [backend.predict(b) for b in batches]
        predict_s = time.perf_counter() - start
        inputs = []
        for b in batches:
            batch = backend.dataset.batch(b)
            inputs.append({k: torch.from_numpy(a).to(torch.int64) for k, a in enumerate(batch.sparse)})
        start = time.perf_counter()
        with torch.no_grad():
            for _ in range(LOOKUP_PASSES):
                for sparse in inputs:
                    backend.embed(sparse)
        lookup_s = (time.perf_counter() - start) / LOOKUP_PASSES
    finally:
        backend.close()
    count = sum(len(b) for b in batches)
    return {"predict": count / predict_s, "lookup": count / lookup_s,
            "answers": np.concatenate([np.concatenate(a) for a in answers])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-cap", type=int, default=50_000, help="rows per table at most (the real: 40 M)")
    parser.add_argument("--batch-size", type=int, default=8, help="aggregated samples per predict (~270 rows each)")
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worlds", default="1,2")
    args = parser.parse_args()
    try:
        import torchrec  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - nothing to compare without it
        print(f"skipped: torchrec cannot be imported ({type(exc).__name__}: {exc})")
        return
    worlds = [int(w) for w in args.worlds.split(",")]
    samples = args.batch_size * (args.batches + 1)
    batches = [list(range(i * args.batch_size, (i + 1) * args.batch_size)) for i in range(args.batches)]
    with tempfile.TemporaryDirectory(prefix="bench-dlrm-engines-") as tmp:
        folder = Path(tmp)
        write_fixture(folder, args.rows_cap, samples)
        runs = {(e, w): [] for w in worlds for e in ENGINES}
        for _ in range(args.repeats):  # alternate, so machine noise hits both alike
            for key in runs:
                runs[key].append(measure(folder, *key, batches))
    answers = {key: rs[0]["answers"] for key, rs in runs.items()}
    first = next(iter(answers.values()))
    if any(a.tobytes() != first.tobytes() for a in answers.values()):
        raise SystemExit("the engines' predictions differ")
    rows = int(first.size // 2)
    figures = []
    print(f"\nDLRM-v2 engines on the CPU: tables of dim 128 cut to {args.rows_cap} rows, {args.batches} batches "
          f"of {args.batch_size} samples ({rows} rows in all), best of {args.repeats}; predictions identical")
    print(f"  {'WORLD_SIZE':>10} {'figure':<8} {'torchrec samples/s':>19} {'tables samples/s':>17} {'ratio':>7}")
    for world in worlds:
        for figure in ("predict", "lookup"):
            ours = max(r[figure] for r in runs["torchrec", world])
            base = max(r[figure] for r in runs["tables", world])
            print(f"  {world:>10} {figure:<8} {ours:19.1f} {base:17.1f} {ours / base:7.3f}")
            name = "dlrm_torchrec_vs_tables" + ("" if figure == "predict" else "_lookup") + \
                ("" if world == 1 else f"_world_size_{world}")
            figures.append({"bench": name, "ours": round(ours, 2), "baseline": round(base, 2),
                            "ratio": round(ours / base, 3), "unit": "samples/s"})
    for figure in figures:
        print(json.dumps(figure))


if __name__ == "__main__":
    main()
