"""A continuous backend (Backend.submit) behind the resume store and a shard's offset: stored
samples are answered at once, the others stored as the backend ends each, indices shifted."""

from __future__ import annotations

import threading

import numpy as np

from harness import shards, store


class ThreadedSquares:
    """Ends each submitted sample from its own thread with [i*i], reporting a first token first."""

    continuous = True

    def __init__(self):
        self.seen: list[int] = []
        self.threads: list[threading.Thread] = []

    def skip_stored(self, indices):
        pass

    def submit(self, indices, first_token, done):
        self.seen.extend(indices)

        def answer():
            for position, i in reversed(list(enumerate(indices))):
                first_token(position, np.array([i * i]))
                done(position, np.array([i * i, 0]) if i != 13 else ValueError("sample 13 broke"))

        thread = threading.Thread(target=answer)
        self.threads.append(thread)
        thread.start()

    def join(self):
        for thread in self.threads:
            thread.join()


def collect(sut, indices):
    firsts, outputs, lock = {}, {}, threading.Lock()

    def first_token(position, tokens):
        firsts[position] = tokens.tolist()

    def done(position, output):
        with lock:
            outputs[position] = output if isinstance(output, Exception) else output.tolist()

    sut.submit(indices, first_token, done)
    return firsts, outputs


def test_stored_samples_end_at_once_and_the_others_are_stored_as_they_end(tmp_path):
    key = store.store_key("toy", {}, "float32", "reference", {})
    path = store.store_path(tmp_path, key)
    inner = ThreadedSquares()
    resuming = store.ResumingBackend(inner, store.SampleStore(path, key))
    assert resuming.continuous
    firsts, outputs = collect(resuming, [2, 3, 13])
    inner.join()
    assert outputs[0] == [4, 0] and outputs[1] == [9, 0] and isinstance(outputs[2], ValueError)
    assert firsts == {0: [4], 1: [9], 2: [169]}
    assert (resuming.computed, resuming.reused) == (2, 0)  # the failed sample is not stored
    resuming.store.close()

    inner = ThreadedSquares()
    again = store.ResumingBackend(inner, store.SampleStore(path, key))
    firsts, outputs = collect(again, [3, 4, 2])
    inner.join()
    assert inner.seen == [4]  # 2 and 3 come from the store, without reaching the backend
    assert outputs == {0: [9, 0], 1: [16, 0], 2: [4, 0]} and firsts == {1: [16]}
    assert (again.computed, again.reused) == (1, 2)
    again.store.close()


def test_a_shard_offset_shifts_submitted_indices_and_keeps_positions():
    inner = ThreadedSquares()
    shifted = shards.Offset(inner, 10)
    assert shifted.continuous
    firsts, outputs = collect(shifted, [0, 1])
    inner.join()
    assert inner.seen == [10, 11] and outputs == {0: [100, 0], 1: [121, 0]}
