"""DLRM-v2 data access, sample aggregation, snapshot loading, memory check and model, with known answers."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from conftest import ROOT

from harness import registry
from harness.artifacts import Resolved
from harness.config import resolve
from harness.contract import Run
from harness.errors import MissingArtifactError
from recommendation.dlrm_v2 import aggregation, criteo, demo, memory, options

torch = pytest.importorskip("torch")

from recommendation.dlrm_v2 import sharded, snapshot  # noqa: E402
from recommendation.dlrm_v2.model import DLRM_DCN, DLRMConfig, build_empty, config_from_shapes  # noqa: E402


def test_aggregation_matches_the_reference_trace_and_sample_count():
    offsets = aggregation.sample_offsets(89_137_319, aggregation.read_quantiles())
    assert offsets[:11].tolist() == [0, 200, 400, 600, 800, 1300, 2000, 2200, 2300, 2400, 2900]
    assert len(offsets) - 1 == 330_067 and offsets[-1] == 89_137_319 and offsets[-1] - offsets[-2] == 19


def test_aggregation_equals_one_legacy_draw_per_sample():
    quantiles = aggregation.read_quantiles()
    np.random.seed(123)  # the reference: np.random.randint(low=0, high=20) per sample
    expected, end = [0], 0
    while end < 50_000:
        end = min(end + int(quantiles[np.random.randint(low=0, high=len(quantiles))]), 50_000)
        expected.append(end)
    assert aggregation.sample_offsets(50_000, quantiles).tolist() == expected


def test_npz_members_are_mapped_in_place_and_compressed_ones_refused(tmp_path):
    arrays = {"0.npy": np.arange(12, dtype=np.int32).reshape(4, 3), "1.npy": np.arange(8, dtype=np.int32).reshape(4, 2)}
    np.savez(tmp_path / "plain.npz", **{k[:-4]: v for k, v in arrays.items()})
    for name, value in arrays.items():
        mapped = criteo.map_npz_member(tmp_path / "plain.npz", name)
        assert isinstance(mapped, np.memmap) and np.array_equal(mapped, value)
    with zipfile.ZipFile(tmp_path / "plain.npz") as archive:  # mapped at the data, past name and extra
        assert archive.getinfo("1.npy").header_offset > 0
    np.savez_compressed(tmp_path / "packed.npz", **{k[:-4]: v for k, v in arrays.items()})
    with pytest.raises(ValueError, match="compressed"):
        criteo.map_npz_member(tmp_path / "packed.npz", "0.npy")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """An odd row count: the validation half is ceil(rows / 2)."""
    folder = tmp_path_factory.mktemp("dlrm_tiny")
    demo.build(folder, rows=2001, seed=4)
    artifacts = {n: Resolved(n, folder / "data" / f) for n, f in demo.DATA_FILES.items()}
    artifacts["weights"] = Resolved("weights", folder / "model_weights")
    return folder, artifacts


def tiny_run(artifacts, count: int) -> Run:
    bench = registry.get("dlrm-v2")
    return Run(bench, resolve(bench, env={"N_COUNT": str(count), "DEVICE": "cpu"}), artifacts, range(count))


def test_validation_is_the_first_half_of_the_rows(tiny):
    folder, _ = tiny
    data = folder / "data"
    day = criteo.open_validation(*(data / demo.DATA_FILES[n] for n in ("dense", "labels", "sparse")))
    dense = np.load(data / demo.DATA_FILES["dense"])
    assert day.rows == 1001 and np.array_equal(day.dense, dense[:1001])
    assert [a.shape[1] for a in day.sparse] == list(criteo.MULTI_HOT_SIZES)


def test_dataset_counts_aggregated_samples_and_reads_only_at_batch_time(tiny, capsys):
    from harness.run import open_dataset
    from recommendation.dlrm_v2.dataset import MultihotCriteoDataset

    _, artifacts = tiny
    total = len(aggregation.sample_offsets(1001, aggregation.read_quantiles())) - 1
    with pytest.raises(MissingArtifactError, match=f"N_COUNT={total + 1} but .* hold only {total} samples"):
        open_dataset(tiny_run(artifacts, total + 1))
    ds = open_dataset(tiny_run(artifacts, total))
    assert isinstance(ds, MultihotCriteoDataset) and ds.size == total
    shard = MultihotCriteoDataset(dataclasses.replace(tiny_run(artifacts, total), indices=range(2, 5)))
    shard.prepare()  # a shard's slice: its own rows
    rows = int(shard.offsets[5] - shard.offsets[2])
    assert capsys.readouterr().out == f"   3 aggregated samples = {rows} of 1001 validation rows (memory-mapped)\n"
    ds.load(range(total))
    assert ds.resident == set(range(total))
    ds.unload([0])
    batch = ds.batch([2, 0])
    (a2, b2), (a0, b0) = ds.rows(2), ds.rows(0)
    assert batch.sizes == [b2 - a2, b0 - a0]
    assert np.array_equal(batch.labels, np.concatenate([ds.labels_of(2), ds.labels_of(0)]))
    assert batch.dense.flags.writeable and batch.sparse[20].shape == (batch.sizes[0] + batch.sizes[1], 100)


def test_backend_answers_each_sample_of_a_batch_with_its_own_pairs(tiny, monkeypatch):
    from recommendation.dlrm_v2.backend import ReferenceBackend
    from recommendation.dlrm_v2.dataset import MultihotCriteoDataset

    _, artifacts = tiny
    run = tiny_run(artifacts, 3)
    ds = MultihotCriteoDataset(run)
    backend = ReferenceBackend(ds, run)
    together = backend.predict([0, 1, 2])
    for i, response in enumerate(together):
        alone = backend.predict([i])[0]
        assert response.dtype == np.float32 and response.size == 2 * (ds.rows(i)[1] - ds.rows(i)[0])
        np.testing.assert_allclose(response, alone, rtol=1e-5, atol=1e-7)
        assert np.array_equal(response[1::2], ds.labels_of(i).astype(np.float32))
    backend.close()  # the tables of one process: nothing to stop


def test_snapshot_round_trip_with_row_shards_over_three_ranks(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = DLRM_DCN(demo.tiny_config())
    snapshot.write(tmp_path / "snap", model.state_dict(), world_size=3, sharded=lambda n: "embedding_bags" in n)
    reader = snapshot.SnapshotReader(tmp_path / "snap")
    assert len(reader.specs["sparse_arch.embedding_bag_collection.embedding_bags.t_cat_0.weight"].pieces) == 3
    loaded = build_empty(config_from_shapes(reader.shapes()), torch.device("cpu"))
    state = loaded.state_dict()
    for name in state:
        reader.read_into(name, state[name])
    assert all(torch.equal(state[n], v) for n, v in model.state_dict().items())
    # a destination that is not laid out as the file (a GPU table, a strided view) goes through
    # a bounded host buffer, a few rows at a time
    monkeypatch.setattr(snapshot, "CHUNK_BYTES", 64)
    strided = torch.empty(8, 10).t()
    reader.read_into("sparse_arch.embedding_bag_collection.embedding_bags.t_cat_5.weight", strided)
    assert torch.equal(strided, model.state_dict()["sparse_arch.embedding_bag_collection.embedding_bags.t_cat_5.weight"])
    # a shard missing from the metadata is an error, not a silently uninitialised slice of a table
    path = tmp_path / "snap" / ".snapshot_metadata"
    meta = json.loads(path.read_text())
    del meta["manifest"]["1/model/model.sparse_arch.embedding_bag_collection.embedding_bags.t_cat_3.weight"]
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="t_cat_3.weight cover 56 of 80 elements"):
        snapshot.SnapshotReader(tmp_path / "snap")


def test_snapshot_written_by_torchsnapshot_loads(tmp_path):
    pytest.importorskip("torchsnapshot")
    from torchsnapshot import Snapshot, StateDict

    torch.manual_seed(1)
    model = DLRM_DCN(demo.tiny_config())
    Snapshot.take(path=str(tmp_path / "snap"), app_state={"model": StateDict(
        {f"model.{k}": v for k, v in model.state_dict().items()})})
    reader = snapshot.SnapshotReader(tmp_path / "snap")
    state = build_empty(config_from_shapes(reader.shapes()), torch.device("cpu")).state_dict()
    for name in state:
        reader.read_into(name, state[name])
    assert all(torch.equal(state[n], v) for n, v in model.state_dict().items())


def test_real_architecture_sizes_and_memory_message():
    model = DLRM_DCN(DLRMConfig(), device="meta", empty=True)
    tables = model.sparse_arch.embedding_bag_collection.embedding_bags
    assert sum(t.weight.shape[0] for t in tables.values()) == 204_184_588
    dense = sum(p.numel() for n, p in model.named_parameters() if "embedding_bags" not in n)
    assert dense == 16_044_545
    assert config_from_shapes({n: tuple(p.shape) for n, p in model.state_dict().items()}) == DLRMConfig()
    weights = (204_184_588 * 128 + dense) * 4
    with pytest.raises(memory.InsufficientMemory) as err:
        memory.check({torch.device("cpu"): weights}, options.memory_limit("64G"))
    assert "needs 102.8 GiB on cpu (97.4 GiB of weights" in str(err.value)
    assert "DLRM_MEMORY_LIMIT is 64.0 GiB" in str(err.value) and "WORLD_SIZE=N DEVICE=cuda" in str(err.value)
    memory.check({torch.device("cpu"): weights}, options.memory_limit("120GiB"))
    assert options.memory_limit("1.5K") == 1536 and options.memory_limit("") is None


def test_tables_are_balanced_over_ranks():
    sizes = [r * 128 * 4 for r in DLRMConfig().table_rows]
    plan = sharded.assign(sizes, 8)
    assert sorted(k for p in plan for k in p) == list(range(26)) and all(p == sorted(p) for p in plan)
    loads = [sum(sizes[k] for k in p) for p in plan]
    assert max(loads) == 40_000_000 * 128 * 4  # no GPU gets two of the five 20 GB tables


def test_its_own_settings_are_checked_at_the_edge_printed_and_saved():
    from harness import registry
    from harness.config import resolve
    from harness.errors import UsageError

    bench = registry.get("dlrm-v2")
    config = resolve(bench, env={"WORLD_SIZE": "4", "DLRM_MEMORY_LIMIT": "1.5K", "DLRM_ENGINE": "Tables"})
    assert config.options == {"WORLD_SIZE": 4, "DLRM_MEMORY_LIMIT": 1536, "DLRM_ENGINE": "tables"}
    assert "(WORLD_SIZE)" in config.describe() and config.as_dict()["options"]["WORLD_SIZE"] == 4
    assert resolve(bench, env={}).options == {"WORLD_SIZE": 1, "DLRM_MEMORY_LIMIT": None, "DLRM_ENGINE": "auto"}
    for variable, value in (("WORLD_SIZE", "27"), ("WORLD_SIZE", "two"), ("DLRM_MEMORY_LIMIT", "lots"),
                            ("DLRM_ENGINE", "fast")):
        with pytest.raises(UsageError, match=f"{variable}='{value}' is not valid: "):
            resolve(bench, env={variable: value})


DYING_WORKER = """
import sys
from datetime import timedelta
import torch
from harness.errors import HarnessError
from recommendation.dlrm_v2 import demo, sharded, snapshot
from recommendation.dlrm_v2.model import DLRM_DCN


def exit_at_once(*_args):  # a table worker that dies before joining the process group
    raise SystemExit(7)


class DyingWorkers(sharded.ShardedTables):
    worker_main = staticmethod(exit_at_once)


if __name__ == "__main__":
    sharded.TIMEOUT = timedelta(seconds=60)  # without the watch, joining would wait this long, then gloo fails
    cfg = demo.tiny_config()
    snapshot.write(sys.argv[1], DLRM_DCN(cfg).state_dict(), world_size=1)
    try:
        DyingWorkers(snapshot.SnapshotReader(sys.argv[1]), cfg, sharded.assign([1] * 26, 2), [torch.device("cpu")] * 2)
    except HarnessError as exc:
        print(f"refused: {exc}")
"""


def test_a_worker_that_dies_before_joining_stops_the_start_at_once(tmp_path):
    # in a process of its own: rank 0's join stays blocked in torch.distributed after the refusal, and a
    # later process group in the same process (another test's) would wait on it
    script = tmp_path / "dying_worker.py"
    script.write_text(DYING_WORKER)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "snap")], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "refused: " in done.stdout and "dlrm-tables-1 exit code 7" in done.stdout, done.stdout + done.stderr
