"""The streaming accuracy-log reader, and absolute target bounds in the verdict."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from conftest import ROOT

from harness.codecs import FLOAT32, iter_accuracy_log
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
        assert list(iter_accuracy_log(log, chunk_size=chunk)) == entries == json.loads(log.read_text())


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


@pytest.mark.parametrize("text,says", [
    ('[{"seq_id": 0, "qsl_idx": 0}]', "entry 0 (qsl_idx 0) has no data"),
    ("[1, 2, 3]", "entry 0 (1) is not an object with qsl_idx and data"),
    ("[" + "[" * 100000 + "]" * 100000 + "]", "entry 0 is nested too deeply"),
    ('[{"qsl_idx": 0, "data": "00008242"}, {"qsl_idx": "1", "data": "00008242"}]', "entry 1 has qsl_idx '1'"),
    ('[{"qsl_idx": 1.5, "data": "00008242"}]', "entry 0 has qsl_idx 1.5"),
    ('[{"qsl_idx": true, "data": "00008242"}]', "entry 0 has qsl_idx True"),
    ('[{"qsl_idx": -1, "data": "00008242"}]', "entry 0 has qsl_idx -1"),
    ('[{"qsl_idx": 99, "data": "00008242"}]', "entry 0 has qsl_idx 99, but the dataset has 3 samples"),
    ('[{"qsl_idx": 0, "data": "zz"}]', "entry 0 (qsl_idx 0) has data 'zz'"),
    ('[{"qsl_idx": 0, "data": "000082"}]', "entry 0 (qsl_idx 0) cannot be decoded as float32"),
    ('[{"qsl_idx": 0, "data": "' + "00" * 4096 + '"}]', "holds 4,096 bytes, more than the 8 an answer"),
    ('[{"qsl_idx": 0, "data": "00008242"}', "is not a complete LoadGen accuracy log"),
], ids=["no-data", "ints", "deep", "str-idx", "float-idx", "bool-idx", "negative", "past-end", "not-hex",
        "partial-value", "too-large", "truncated"])
def test_a_log_that_no_loadgen_wrote_is_a_clear_error_with_exit_2(tmp_path, text, says):
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text(text)
    labels = tmp_path / "val_map.txt"
    labels.write_text("a.JPEG 65\nb.JPEG 1\nc.JPEG 2\n")
    done = subprocess.run([sys.executable, "-m", "harness", "accuracy", "resnet", "--mlperf-accuracy-file", str(log),
                           "--imagenet-val-file", str(labels)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and str(log) in done.stderr and "Traceback" not in done.stderr
