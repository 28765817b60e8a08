"""The sample store: round trip, durability across connections, and keys that never mix settings."""

import os

import numpy as np
import pytest

from harness import store
from harness.contract import Backend


def test_round_trip_and_reopen(tmp_path):
    key = store.store_key("b", {"weights": {"sha256": "ab"}}, "float32", "reference", {"beams": 4})
    path = store.store_path(tmp_path, key)
    first = store.SampleStore(path, key)
    first.put_many([3, 1], [np.array([1, 2, 3], np.int64), np.array([[0.5]], np.float32)])
    first.close()
    again = store.SampleStore(path, key)
    got = again.get_many([1, 2, 3])
    assert sorted(got) == [1, 3] and len(again) == 2
    assert got[3].dtype == np.int64 and got[3].tolist() == [1, 2, 3]
    assert got[1].shape == (1, 1) and got[1][0, 0] == np.float32(0.5)


def test_other_settings_get_another_file_and_a_foreign_file_is_refused(tmp_path):
    a = store.store_key("b", {}, "float32", "reference", {})
    b = store.store_key("b", {}, "bfloat16", "reference", {})
    assert store.store_path(tmp_path, a) != store.store_path(tmp_path, b)
    store.SampleStore(store.store_path(tmp_path, a), a).close()
    with pytest.raises(store.StoreError, match="belongs to other settings"):
        store.SampleStore(store.store_path(tmp_path, a), b)


def test_resuming_backend_computes_only_what_is_missing(tmp_path):
    calls = []

    class Echo(Backend):
        def __init__(self):  # no dataset or run needed here
            pass

        def predict(self, indices):
            calls.append(list(indices))
            return np.array(indices, np.float32).reshape(-1, 1)

    key = store.store_key("b", {}, "float32", "reference", {})
    samples = store.SampleStore(store.store_path(tmp_path, key), key)
    backend = store.ResumingBackend(Echo(), samples)
    assert [o.tolist() for o in backend.predict([0, 1])] == [[0.0], [1.0]]
    assert [o.tolist() for o in backend.predict([1, 2, 0])] == [[1.0], [2.0], [0.0]]
    assert calls == [[0, 1], [2]] and (backend.reused, backend.computed) == (2, 3)


def test_a_planning_backend_is_told_what_is_already_stored(tmp_path):
    class Planner(Backend):
        skipped = None

        def __init__(self):
            pass

        def skip_stored(self, indices):
            self.skipped = set(indices)

        def predict(self, indices):
            return np.zeros((len(indices), 1), np.float32)

    key = store.store_key("b", {}, "float32", "reference", {})
    path = store.store_path(tmp_path, key)
    empty = store.ResumingBackend(Planner(), store.SampleStore(path, key))
    assert empty.backend.skipped is None  # nothing stored: nothing to skip
    empty.predict([4, 7])
    empty.store.close()
    resumed = store.ResumingBackend(Planner(), store.SampleStore(path, key))
    assert resumed.backend.skipped == {4, 7}


def test_a_shard_that_finished_does_not_make_a_retried_sibling_start_over(tmp_path):
    """Each shard's slice has its own store: shard 0 finishing marks only its own, so shard 1, killed
    after a batch and retried, finds its batch and no finished mark (else RESUME's default drops it)."""
    key = store.store_key("b", {}, "float32", "reference", {})
    whole, first, second = (store.store_path(tmp_path, key, part) for part in (None, range(0, 8), range(8, 16)))
    assert len({whole, first, second}) == 3 and whole == store.store_path(tmp_path, key)  # unsharded: as before
    killed = store.SampleStore(second, key)
    killed.mark(finished=False)
    killed.put_many([8, 9], [np.full(1, 8.0), np.full(1, 9.0)])
    done = store.SampleStore(first, key)
    done.mark(finished=False)
    done.put_many(range(8), [np.full(1, float(i)) for i in range(8)])
    done.mark(finished=True)
    killed.close(), done.close()
    retried = store.SampleStore(second, key)
    assert not retried.finished and retried.indices() == {8, 9} and retried.get_many([9])[9].tolist() == [9.0]
    assert store.SampleStore(first, key).finished


def test_a_folder_without_a_checksum_is_identified_by_names_sizes_and_contents(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"layers": 2}')
    (model / "weights.bin").write_bytes(b"\0" * 2048)
    before = store.folder_fingerprint(model)
    assert store.folder_fingerprint(model) == before
    (model / "config.json").write_text('{"layers": 3}')
    changed = store.folder_fingerprint(model)
    (model / "weights.bin").write_bytes(b"\0" * 2049)
    assert len({before, changed, store.folder_fingerprint(model)}) == 3


def test_a_folder_is_identified_by_the_content_of_its_weights(tmp_path):
    from harness.artifacts import Resolved

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"layers": 2}')
    weights = model / "model.safetensors"
    weights.write_bytes(b"\x01" * 4096)
    before = store.artifact_identity(Resolved("model", model))
    stat = weights.stat()
    weights.write_bytes(b"\x02" * 4096)  # same shapes, same size, the mtime set back
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert store.artifact_identity(Resolved("model", model)) != before
    single = tmp_path / "weights.pt"  # a MANIFEST entry without sha256
    single.write_bytes(b"a" * 100)
    first = store.artifact_identity(Resolved("weights", single, {"md5": "x"}, "manifest"))
    single.write_bytes(b"b" * 100)
    assert store.artifact_identity(Resolved("weights", single, {"md5": "x"}, "manifest")) != first


def test_the_key_names_device_type_settings_and_code(tmp_path):
    code = tmp_path / "bench.py"
    code.write_text("A = 1\n")
    keys = [store.store_key("b", {}, "float32", "reference", {}, device="cpu", code=store.code_revision([code])),
            store.store_key("b", {}, "float32", "reference", {}, device="cuda", code=store.code_revision([code])),
            store.store_key("b", {}, "float32", "reference", {"beams": 4}, device="cpu",
                            code=store.code_revision([code]))]
    code.write_text("A = 2\n")
    keys.append(store.store_key("b", {}, "float32", "reference", {}, device="cpu", code=store.code_revision([code])))
    assert len({store.store_path(tmp_path, k) for k in keys}) == 4


def test_a_corrupt_store_is_named_with_what_to_do(tmp_path):
    key = store.store_key("b", {}, "float32", "reference", {})
    path = store.store_path(tmp_path, key)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(store.StoreError, match="cannot be read .*RESUME=0.*delete the file"):
        store.SampleStore(path, key)
