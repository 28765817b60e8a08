"""The streaming accuracy-log reader, and absolute target bounds in the verdict."""

from __future__ import annotations

import json
import random

import pytest

from harness.codecs import FLOAT32, iter_accuracy_log, read_accuracy_log
from harness.declaration import Benchmark, Target
from harness.verdict import judge, overall, table


def loadgen_text(entries: list[dict]) -> str:
    """The layout LoadGen itself writes: one entry per line."""
    rows = ['{ "seq_id" : %d, "qsl_idx" : %d, "data" : "%s" }' % (e["seq_id"], e["qsl_idx"], e["data"])
            for e in entries]
    return "[\n" + ",\n".join(rows) + "\n]\n"


@pytest.mark.parametrize("layout", ["loadgen", "compact", "indented"])
def test_streamed_entries_equal_the_whole_file_reading_at_any_chunk_size(tmp_path, layout):
    rng = random.Random(7)
    log = tmp_path / "mlperf_log_accuracy.json"
    for _ in range(40):
        entries = [{"seq_id": i, "qsl_idx": rng.randrange(20),
                    "data": FLOAT32.encode([rng.random() for _ in range(rng.randrange(0, 90))]).hex().upper()}
                   for i in range(rng.randrange(0, 25))]
        text = {"loadgen": loadgen_text(entries), "compact": json.dumps(entries),
                "indented": json.dumps(entries, indent=3)}[layout]
        log.write_text(text)
        chunk = rng.choice([1, 2, 7, 64, 1 << 20])
        assert list(iter_accuracy_log(log, chunk_size=chunk)) == entries == read_accuracy_log(log)


def test_one_entry_larger_than_many_chunks_is_read_whole(tmp_path):
    log = tmp_path / "mlperf_log_accuracy.json"
    big = {"seq_id": 0, "qsl_idx": 3, "data": "AB" * 200_000}
    log.write_text(loadgen_text([big, {"seq_id": 1, "qsl_idx": 4, "data": ""}]))
    got = list(iter_accuracy_log(log, chunk_size=1000))
    assert got[0] == big and got[1]["qsl_idx"] == 4 and len(got) == 2


@pytest.mark.parametrize("text,message", [
    ("", "ends early"), ("[", "ends early"), ('[{"qsl_idx": 1},', "ends early"),
    ('[{"qsl_idx": 1}', "ends early"), ('{"qsl_idx": 1}', "expected a JSON list"),
    ("[1]", "is not an object"), ('[{"qsl_idx": 1, "data": "AB}]', "not a complete"),
])
def test_a_broken_log_is_a_clear_error_not_a_partial_score(tmp_path, text, message):
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text(text)
    with pytest.raises(ValueError, match=message):
        list(iter_accuracy_log(log, chunk_size=3))


def test_a_missing_log_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="did the LoadGen run finish"):
        list(iter_accuracy_log(tmp_path / "absent.json"))


def _bench(targets) -> Benchmark:
    return Benchmark(id="x", aliases=(), loadgen_model="x", domain="vision", dataset="a:B", backend="a:B",
                     codec="a:B", metric="a:B", targets={"x": targets}, primary="x", total_count=1,
                     performance_count=1, requirements="r.txt")


def test_absolute_bounds_are_used_as_written_on_both_sides():
    clip = Target("CLIP_SCORE", 31.7498184, lower=31.68631873, upper=31.81331801)
    fid = Target("FID_SCORE", 23.4804669, lower=23.01085758, upper=23.95007626)
    bench = _bench((clip, fid))
    assert (clip.threshold, clip.upper_limit) == (31.68631873, 31.81331801)
    cases = {
        (31.68631873, 23.95007626): True, (31.81331801, 23.01085758): True,
        (31.68631872, 23.4): False, (31.81331802, 23.4): False,
        (31.7, 23.01085757): False, (31.7, 23.95007627): False,
    }
    for (c, f), expected in cases.items():
        rows = judge(bench, {"CLIP_SCORE": c, "FID_SCORE": f})
        assert overall(bench, rows) is expected, (c, f)
    text = table(judge(bench, {"CLIP_SCORE": 31.7, "FID_SCORE": 30.0}))
    assert "31.68631873" in text and "31.81331801" in text and "23.95007626" in text
    assert text.splitlines()[-1].endswith("FAIL")


def test_multiplier_targets_are_unchanged():
    target = Target("acc", 76.46, 0.99)
    assert target.threshold == 76.46 * 0.99 and target.upper_limit is None
