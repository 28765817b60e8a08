"""The sample store: round trip, durability across connections, and keys that never mix settings."""

import numpy as np
import pytest

from harness import store


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
    with pytest.raises(RuntimeError, match="belongs to other settings"):
        store.SampleStore(store.store_path(tmp_path, a), b)


def test_resuming_backend_computes_only_what_is_missing(tmp_path):
    calls = []

    class Echo:
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
    class Planner:
        skipped = None

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


def test_a_folder_without_a_checksum_is_identified_by_names_sizes_and_small_files(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"layers": 2}')
    (model / "weights.bin").write_bytes(b"\0" * 2048)
    before = store.folder_fingerprint(model, small=1024)
    assert store.folder_fingerprint(model, small=1024) == before
    (model / "config.json").write_text('{"layers": 3}')
    changed = store.folder_fingerprint(model, small=1024)
    (model / "weights.bin").write_bytes(b"\0" * 2049)
    assert len({before, changed, store.folder_fingerprint(model, small=1024)}) == 3
