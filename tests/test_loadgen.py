"""LoadGen 4.1.30 behaviours the runner relies on (spec/loadgen.md measured them on 6.0.17),
checked against the pinned wheel through the runner, each test in its own process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import ROOT

pytest.importorskip("mlperf_loadgen")

V41_SEEDS = {"effective_qsl_rng_seed": 3066443479025735752,
             "effective_sample_index_rng_seed": 10688027786191513374,
             "effective_schedule_rng_seed": 14962580496156340209}


def probe(tmp_path, **spec) -> list[dict]:
    spec.setdefault("outdir", str(tmp_path / "out" / "nested"))
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "loadgen_probe.py"), json.dumps(spec)],
                          cwd=spec.get("cwd", tmp_path), capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def raw(tmp_path, body: str, expect_rc: int = 0) -> str:
    """Run a snippet against the bare wheel (for behaviours the runner exists to avoid)."""
    script = tmp_path / "raw.py"
    script.write_text(textwrap.dedent(body))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == expect_rc, done.stderr
    return done.stdout + done.stderr


def test_output_dir_created_trace_off_v41_seeds_and_one_entry_per_sample(tmp_path):
    # a model name mlperf.conf does not know keeps the QSL's performance sample count (resnet50's is 1024)
    (result,) = probe(tmp_path, model="probe", scenario="Offline", total=23, psc=5)
    assert result["error"] is None and result["errors"] == []
    assert result["files"] == ["mlperf_log_accuracy.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt",
                               "mlperf_log_trace.json"]
    assert result["trace_bytes"] == 0
    assert result["detail"]["loadgen_version"].startswith("4.1.30")
    for key, seed in V41_SEEDS.items():
        assert result["detail"][key] == seed
    # loadable sets of the performance sample count: 5, 5, 5, 5, 3; each loaded set is issued whole
    assert sorted(len(x) for x in result["loads"]) == [3, 5, 5, 5, 5]
    assert sorted(i for x in result["loads"] for i in x) == list(range(23))
    assert sorted(e["qsl_idx"] for e in result["entries"]) == list(range(23))
    assert all(len(e["data"]) == 8 and e["data"] == e["data"].upper() for e in result["entries"])
    line = result["accuracy_text"].splitlines()[1]
    assert re.fullmatch(r'\{ "seq_id" : \d+, "qsl_idx" : \d+, "data" : "[0-9A-F]{8}" \},?', line)
    assert result["batches"] == [5, 5, 5, 5, 3]  # batch 8 never crosses an issued set


def test_short_run_performance_with_a_clamped_performance_sample_count(tmp_path):
    conf = tmp_path / "short.conf"
    conf.write_text((ROOT / "loadgen" / "user.conf").read_text() + (ROOT / "loadgen" / "short_run.conf").read_text())
    (result,) = probe(tmp_path, scenario="Offline", mode="performance", total=10, psc=1024, user_conf=str(conf))
    assert result["errors"] == [] and result["detail"]["effective_performance_sample_count"] == 10
    assert result["detail"]["effective_min_duration_ms"] == 1000
    assert result["detail"]["effective_test_mode"] == "PerformanceOnly"
    assert result["detail"]["result_validity"] in ("VALID", "INVALID")


def test_server_accuracy_is_not_throttled_to_the_placeholder_qps(tmp_path):
    (result,) = probe(tmp_path, scenario="Server", total=40, psc=40, batch=4)
    assert result["errors"] == [] and result["detail"]["effective_target_qps"] == 1e6
    assert sorted(e["qsl_idx"] for e in result["entries"]) == list(range(40))
    assert max(result["batches"]) <= 4


def test_multistream_pads_queries_with_duplicates(tmp_path):
    (result,) = probe(tmp_path, model="probe", scenario="MultiStream", total=20, psc=5)
    indices = [e["qsl_idx"] for e in result["entries"]]
    assert len(indices) == 32 and sorted(set(indices)) == list(range(20))


def test_a_stray_audit_config_is_ignored_by_the_runner_but_not_by_bare_loadgen(tmp_path):
    (tmp_path / "audit.config").write_text("*.*.mode = 2\n")
    (result,) = probe(tmp_path, scenario="Offline", total=12, psc=12, cwd=str(tmp_path))
    assert result["detail"]["effective_test_mode"] == "AccuracyOnly" and len(result["entries"]) == 12
    out = raw(tmp_path, """
        import os, mlperf_loadgen as lg
        os.makedirs("bare", exist_ok=True)
        def issue(qs):
            lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
        sut = lg.ConstructSUT(issue, lambda: None); qsl = lg.ConstructQSL(12, 12, lambda s: None, lambda s: None)
        ts = lg.TestSettings(); ts.FromConfig("", "resnet50", "Offline", True)
        ts.scenario = lg.TestScenario.Offline; ts.mode = lg.TestMode.AccuracyOnly
        ts.min_duration_ms = 0; ts.min_query_count = 1
        ls = lg.LogSettings(); ls.log_output.outdir = "bare"; ls.enable_trace = False
        lg.StartTestWithLogSettings(sut, qsl, ts, ls)
        print(open("bare/mlperf_log_accuracy.json").read().count("qsl_idx"))
    """)
    assert out.strip() == "0"  # the audit file turned the bare accuracy run into a performance run


def test_user_conf_parse_rules(tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("*.Offline.min_duration = 1000 # trailing comment\n")
    (result,) = probe(tmp_path, user_conf=str(bad), total=4, psc=4)
    assert "cannot parse" in result["error"] and "rc -22" in result["error"]
    (result,) = probe(tmp_path, user_conf=str(tmp_path / "absent.conf"), total=4, psc=4)
    assert "cannot be opened" in result["error"]
    quiet = tmp_path / "quiet.conf"
    quiet.write_text("*.Offline.min_duration=5\n")  # no spaces: LoadGen ignores it without a word
    (result,) = probe(tmp_path, user_conf=str(quiet), mode="performance", total=4, psc=4)
    assert result["detail"]["effective_min_duration_ms"] == 600000


def test_a_second_test_in_one_process_logs_a_multiple_conf_error(tmp_path):
    first, second = probe(tmp_path, total=4, psc=4, second_test=True)
    assert first["errors"] == []
    assert [e["key"] for e in second["errors"]] == ["error_invalid_config"]
    assert "Multiple conf files" in second["errors"][0]["value"]


@pytest.mark.parametrize("scenario", ["Offline", "Server", "SingleStream"])
def test_token_responses_carry_counts_and_first_tokens(tmp_path, scenario):
    (result,) = probe(tmp_path, model="llama2-70b", scenario=scenario, total=6, psc=6, tokens=3)
    assert result["errors"] == [] and result["error"] is None
    assert all(e["token_count"] == 3 for e in result["entries"])
    assert all(("token_data" in e) == (scenario != "Offline") for e in result["entries"])


def test_a_continuous_backend_gets_each_server_query_as_issued_and_completes_each_sample_alone(tmp_path):
    # the backend holds every answer until all 8 queries reached it, then ends them in reverse order
    (result,) = probe(tmp_path, model="llama2-70b", scenario="Server", total=8, psc=8, tokens=3, continuous=True)
    assert result["error"] is None and result["errors"] == []
    assert result["submits"] == [1] * 8 and result["batches"] == []  # no predict(): one submit per query
    entries = result["entries"]
    assert sorted(e["qsl_idx"] for e in entries) == list(range(8))
    for e in entries:
        assert np.frombuffer(bytes.fromhex(e["data"]), np.float32).tolist() == [e["qsl_idx"]] * 3
        assert np.frombuffer(bytes.fromhex(e["token_data"]), np.float32).tolist() == [e["qsl_idx"]]
        assert e["token_count"] == 3


def test_ctrl_c_makes_a_continuous_backend_end_the_samples_it_holds(tmp_path):
    # every sample is in flight and would stay there: only cancel() lets LoadGen finish
    (result,) = probe(tmp_path, model="llama2-70b", scenario="Server", total=8, psc=8, tokens=3, continuous=True,
                      interrupt=True)
    assert result["error"] == "interrupted: SIGINT during the LoadGen test" and result["cancelled"] == 8
    assert sorted(e["qsl_idx"] for e in result["entries"]) == list(range(8))  # LoadGen closed its logs


def test_a_backend_failure_fails_the_run_after_loadgen_finishes(tmp_path):
    (result,) = probe(tmp_path, total=10, psc=10, batch=4, fail_on=5)
    assert "backend failed on a batch" in result["error"] and "sample 5" in result["error"]
    assert len(result["entries"]) == 10  # LoadGen still got every completion and closed its logs


RAW_SETUP = """
import os, mlperf_loadgen as lg
def settings(model="resnet50", scenario="Offline"):
    ts = lg.TestSettings(); ts.FromConfig("", model, scenario, True)
    ts.scenario = getattr(lg.TestScenario, scenario); ts.mode = lg.TestMode.AccuracyOnly
    return ts
def logs(outdir):
    ls = lg.LogSettings(); ls.log_output.outdir = outdir; ls.enable_trace = False
    return ls
"""


def test_bare_loadgen_aborts_when_its_output_dir_is_missing(tmp_path):
    # 4.1.30 aborts the process (6.0.17 returned without running): the runner creates the dir first
    out = raw(tmp_path, RAW_SETUP + """
        def issue(qs): lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in qs])
        sut = lg.ConstructSUT(issue, lambda: None); qsl = lg.ConstructQSL(4, 4, lambda s: None, lambda s: None)
        lg.StartTestWithLogSettings(sut, qsl, settings(), logs("missing/dir"), "absent.config")
    """.replace("\n        ", "\n"), expect_rc=-6)
    assert "Failed to open summary file" in out and not (tmp_path / "missing").exists()


def test_entries_are_logged_in_completion_order(tmp_path):
    out = raw(tmp_path, RAW_SETUP + """
        import array, json
        def issue(qs):
            for q in reversed(qs):
                b = array.array("f", [q.index])
                lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, b.buffer_info()[0], 4)])
        os.makedirs("out")
        sut = lg.ConstructSUT(issue, lambda: None); qsl = lg.ConstructQSL(8, 8, lambda s: None, lambda s: None)
        lg.StartTestWithLogSettings(sut, qsl, settings("probe"), logs("out"), "absent.config")
        print(json.dumps([e["seq_id"] for e in json.load(open("out/mlperf_log_accuracy.json"))]))
    """.replace("\n        ", "\n"))
    assert json.loads(out.strip().splitlines()[-1]) == [7, 6, 5, 4, 3, 2, 1, 0]


@pytest.mark.parametrize("n_tokens,message", [(1, "Number of tokens need to be greater than 1"),
                                              (0, "n_tokens argument missing")])
def test_token_benchmarks_need_at_least_two_tokens(tmp_path, n_tokens, message):
    out = raw(tmp_path, RAW_SETUP + f"""
        import array
        keep = array.array("q", [1, 2])
        def issue(qs):
            lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, keep.buffer_info()[0], 16, {n_tokens}) for q in qs])
        os.makedirs("out")
        sut = lg.ConstructSUT(issue, lambda: None); qsl = lg.ConstructQSL(3, 3, lambda s: None, lambda s: None)
        lg.StartTestWithLogSettings(sut, qsl, settings("llama2-70b"), logs("out"), "absent.config")
        print(open("out/mlperf_log_detail.txt").read())
    """.replace("\n        ", "\n"))
    assert out.count(message) == 3


def test_one_token_answers_are_reported_as_two_so_loadgen_logs_no_error(tmp_path):
    (result,) = probe(tmp_path, model="llama2-70b", scenario="Server", total=4, psc=4, tokens=1)
    assert result["errors"] == [] and all(e["token_count"] == 2 for e in result["entries"])
