"""DLRM_ENGINE=torchrec (torchrec's DistributedModelParallel, fbgemm's kernels, real gloo ranks)
against our table-wise engine on the demo snapshot, the engine setting, and the rank devices."""

from __future__ import annotations

import json
import sys

import dlrm_v2_fixture
import numpy as np
import pytest
from conftest import harness_env, run

from harness import registry
from harness.artifacts import Resolved
from harness.config import resolve
from harness.contract import Run
from harness.errors import UsageError

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from recommendation.dlrm_v2 import demo, memory, sharded  # noqa: E402
from recommendation.dlrm_v2.backend import ReferenceBackend, choose_engine  # noqa: E402


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    return dlrm_v2_fixture.build(tmp_path_factory.mktemp("dlrm_v2_torchrec"))


def needs_torchrec():
    """Skip where torchrec is not installed; fail where it is installed but does not load (the CUDA
    fbgemm-gpu that torchrec depends on, installed over the pinned fbgemm-gpu-cpu, breaks it)."""
    try:
        import torchrec  # noqa: F401
    except ImportError:
        pytest.skip("DLRM_ENGINE=torchrec needs torchrec (recommendation/dlrm_v2/requirements.txt)")
    except OSError as exc:
        pytest.fail(f"torchrec is installed but fbgemm does not load ({exc}); is fbgemm-gpu (CUDA) installed "
                    "beside fbgemm-gpu-cpu? recommendation/dlrm_v2/requirements.exclude.txt leaves it out")


ODD_ROWS = 7  # a batch that does not split evenly over two ranks: the torchrec engine pads it


def predictions(fixture, engine: str, world: int) -> tuple[str, np.ndarray, np.ndarray]:
    """The class holding the tables, the backend's [p, label] pairs of every sample predicted as one
    batch, and the pooled embeddings of the first ODD_ROWS rows."""
    from recommendation.dlrm_v2.dataset import MultihotCriteoDataset

    folder = fixture["folder"]
    artifacts = {n: Resolved(n, folder / "data" / f) for n, f in demo.DATA_FILES.items()}
    artifacts["weights"] = Resolved("weights", folder / "model_weights")
    count = len(fixture["probs"])
    bench = registry.get("dlrm-v2")
    config = resolve(bench, env={"N_COUNT": str(count), "DEVICE": "cpu", "DLRM_ENGINE": engine,
                                 "WORLD_SIZE": str(world)})
    job = Run(bench, config, artifacts, range(count))
    backend = ReferenceBackend(MultihotCriteoDataset(job), job)
    try:
        pairs = np.concatenate(backend.predict(list(range(count))))
        first = backend.dataset.batch([0]).sparse
        with torch.no_grad():
            pooled = backend.embed({k: torch.from_numpy(a[:ODD_ROWS]).long() for k, a in enumerate(first)})
        return type(backend.embed).__name__, pairs, pooled.numpy()
    finally:
        backend.close()


def test_torchrec_and_table_wise_engines_predict_bitwise_alike_at_world_sizes_1_and_2(fixture, capsys):
    needs_torchrec()
    got = {(engine, world): predictions(fixture, engine, world)
           for engine in ("tables", "torchrec") for world in (1, 2)}
    assert got["torchrec", 1][0] == got["torchrec", 2][0] == "TorchrecTables"
    assert got["tables", 2][0] == "ShardedTables" and got["tables", 1][0] == "SparseArch"
    assert "DLRM-v2 engine: torchrec (torchrec 1.8.0 with fbgemm 1.8.0" in capsys.readouterr().out
    _, reference, pooled = got["tables", 1]
    assert pooled.shape == (ODD_ROWS, 26, 8)
    for key, (_, pairs, odd) in got.items():
        # same sums, same dense layers on the same pooled rows: not one bit differs
        assert pairs.tobytes() == reference.tobytes() and odd.tobytes() == pooled.tobytes(), key
    # and the batch of 11 samples matches the fixture's model run one sample at a time
    np.testing.assert_allclose(reference[0::2], np.concatenate(fixture["probs"]), rtol=1e-5, atol=1e-7)
    assert np.array_equal(reference[1::2], np.concatenate(fixture["labels"]).astype(np.float32))


def accuracy_entries(run_dir) -> dict[int, str]:
    return {e["qsl_idx"]: e["data"] for e in json.loads((run_dir / "mlperf_log_accuracy.json").read_text())}


def test_make_dlrm_v2_with_torchrec_on_two_ranks_logs_what_the_table_wise_engine_logs(fixture, tmp_path):
    needs_torchrec()
    manifest, labels = dlrm_v2_fixture.labelled(fixture, tmp_path / "labels", passing=True)
    runs = {}
    for engine in ("torchrec", "tables"):
        env = harness_env(tmp_path / engine, MANIFEST=manifest, N_COUNT=len(labels), SCENARIO="Offline",
                          DEVICE="cpu", BATCH_SIZE=4, WORLD_SIZE=2, DLRM_ENGINE=engine)
        done = run(["make", "dlrm-v2"], env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"DLRM-v2 engine: {engine}" in done.stdout and "DLRM-v2 on 2 processes" in done.stdout
        run_dir, = (tmp_path / engine / "logs" / "dlrm-v2" / "Offline" / "float32").iterdir()
        result = json.loads((run_dir / "result.json").read_text())
        assert result["verdict_on_slice"] == "PASS" and result["metrics"] == {"AUC": 100.0}
        runs[engine] = run_dir
    torchrec_log, tables_log = accuracy_entries(runs["torchrec"]), accuracy_entries(runs["tables"])
    assert sorted(torchrec_log) == list(range(len(labels))) and torchrec_log == tables_log  # byte for byte
    lines = {e: (runs[e] / "accuracy.txt").read_text().splitlines()[0] for e in runs}
    assert lines["torchrec"] == lines["tables"] and lines["torchrec"].startswith("AUC=100.000%")


def test_a_bad_engine_value_exits_2_naming_it_and_what_is_allowed(tmp_path):
    # the eval script make dlrm-v2 runs (make itself turns every failure into 2)
    done = run(["bash", "scripts/eval_dlrm-v2.sh"], harness_env(tmp_path, DLRM_ENGINE="fastest", OFFLINE=1))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "DLRM_ENGINE='fastest' is not valid: use auto, torchrec, tables" in done.stderr


def test_torchrec_that_cannot_be_imported_is_an_error_when_asked_for_and_a_fallback_on_auto(monkeypatch):
    # torchrec as absent (None in sys.modules is Python's own way to make an import fail), and the
    # engine module not yet imported, so that choose_engine really imports it
    import recommendation.dlrm_v2 as package

    monkeypatch.setitem(sys.modules, "torchrec", None)
    monkeypatch.delitem(sys.modules, "recommendation.dlrm_v2.torchrec_engine", raising=False)
    monkeypatch.delattr(package, "torchrec_engine", raising=False)
    cpu = torch.device("cpu")
    with pytest.raises(UsageError, match=r"DLRM_ENGINE=torchrec cannot run here: torchrec cannot be imported "
                                         r"\(ModuleNotFoundError: import of torchrec halted.*\)\. "
                                         r".*set DLRM_ENGINE=tables"):
        choose_engine("torchrec", cpu)
    engine, why = choose_engine("auto", cpu)
    assert engine == "tables"
    assert why.startswith("DLRM_ENGINE=auto and torchrec cannot be imported (ModuleNotFoundError")
    assert choose_engine("tables", cpu) == ("tables", "DLRM_ENGINE=tables")


def test_the_cpu_build_of_fbgemm_is_refused_for_gpus():
    needs_torchrec()
    import fbgemm_gpu

    if fbgemm_gpu.__variant__ != "cpu":
        pytest.skip(f"fbgemm here is the {fbgemm_gpu.__variant__} build")
    gpu = torch.device("cuda:1")  # only named: nothing is allocated
    with pytest.raises(UsageError, match="fbgemm-gpu-cpu 1.8.0.*no CUDA kernels.*fbgemm-gpu==1.8.0"):
        choose_engine("torchrec", gpu)
    assert choose_engine("auto", gpu)[0] == "tables"
    assert choose_engine("auto", torch.device("cpu"))[0] == "torchrec"


def test_ranks_use_the_gpus_counted_from_the_requested_one_and_the_memory_check_books_them():
    cuda = [torch.device(f"cuda:{i}") for i in range(8)]
    assert sharded.rank_devices(torch.device("cpu"), 3, gpu_count=0) == [torch.device("cpu")] * 3
    assert sharded.rank_devices(torch.device("cuda:0"), 2, gpu_count=2) == cuda[:2]
    assert sharded.rank_devices(torch.device("cuda:2"), 2, gpu_count=4) == cuda[2:4]
    assert sharded.rank_devices(torch.device("cuda:3"), 1, gpu_count=4) == [cuda[3]]
    plan, table_bytes = [[0, 2], [1]], [100, 10, 1]
    assert memory.shares(cuda[2:4], plan, table_bytes, dense_bytes=5) == {cuda[2]: 106, cuda[3]: 10}
    assert memory.shares([torch.device("cpu")] * 2, plan, table_bytes, 5) == {torch.device("cpu"): 116}
    with pytest.raises(UsageError, match=r"WORLD_SIZE=2 with DEVICE=cuda:3 puts rank r on cuda:3\+r, up to "
                                         r"cuda:4, but 4 GPU\(s\) are visible \(cuda:0..cuda:3\): "
                                         r"use DEVICE=cuda:N with N <= 2"):
        sharded.rank_devices(torch.device("cuda:3"), 2, gpu_count=4)
    with pytest.raises(UsageError, match=r"WORLD_SIZE=3 .* but 2 GPU\(s\) are visible .*: use WORLD_SIZE=2 or less"):
        sharded.rank_devices(torch.device("cuda:0"), 3, gpu_count=2)
