"""`make summary`: the newest run of each benchmark, scenario, mode and data type, one row per
checker key and metric, demos hidden unless asked for, performance rows with LoadGen's figures."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from conftest import detail_values, harness_env, run
from harness import command_settings, performance, summary
from harness.errors import UsageError

RESNET_TARGET = {"key": "resnet", "metric": "acc", "value": 76.2, "reference": 76.46, "threshold": 75.6954,
                 "upper_limit": None, "ratio_percent": 99.66, "pass": True}


def write_result(folder, name, started, targets, demo=False, mode="accuracy", verdict="FAIL", **extra):
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps({
        "benchmark": name, "started": started, "demo": demo, "verdict": verdict, "run_dir": str(folder),
        "status": "completed",
        "config": {"scenario": folder.parts[-3], "data_type": folder.parts[-2], "n_count": 5000, "mode": mode,
                   "device": "cuda:0"},
        "provenance": {"harness": {"commit": "0123456789abcdef", "dirty": False}},
        "targets": targets, **extra}))
    return folder


def test_the_newest_run_per_benchmark_with_its_keys_and_windows(tmp_path):
    sdxl = [
        {"key": "stable-diffusion-xl", "metric": "CLIP_SCORE", "value": 31.7, "reference": 31.7498184,
         "threshold": 31.68631873, "upper_limit": 31.81331801, "ratio_percent": 99.84, "pass": True},
        {"key": "stable-diffusion-xl", "metric": "FID_SCORE", "value": 24.1, "reference": 23.4804669,
         "threshold": 23.01085758, "upper_limit": 23.95007626, "ratio_percent": 102.6, "pass": False},
    ]
    write_result(tmp_path / "stablediffusion/Offline/float32/old", "sdxl", "2026-11-29T00:00:00Z", [])
    write_result(tmp_path / "stablediffusion/Offline/float32/new", "sdxl", "2026-11-30T00:00:00Z", sdxl)
    write_result(tmp_path / "dlrm-v2/Offline/float32/run", "dlrm_v2", "2026-11-30T00:00:00Z", [
        {"key": "dlrm-v2-99", "metric": "AUC", "value": 80.3, "reference": 80.31, "threshold": 79.5069,
         "upper_limit": None, "ratio_percent": 99.99, "pass": True},
        {"key": "dlrm-v2-99.9", "metric": "AUC", "value": 80.3, "reference": 80.31, "threshold": 80.22969,
         "upper_limit": None, "ratio_percent": 99.99, "pass": True}], demo=True)
    rows = summary.text_rows(summary.records(summary.latest_results(str(tmp_path), demos=True).results))
    assert [(r[0], r[3], r[4], r[6], r[11]) for r in rows] == [
        # rows carry the make name (the run folder's), not the internal id
        ("dlrm-v2", "dlrm-v2-99", "AUC", ">= 79.5069", "PASS (demo)"),
        ("dlrm-v2", "dlrm-v2-99.9", "AUC", ">= 80.22969", "PASS (demo)"),
        ("stablediffusion", "stable-diffusion-xl", "CLIP_SCORE", "[31.68631873, 31.81331801]", "PASS"),
        ("stablediffusion", "stable-diffusion-xl", "FID_SCORE", "[23.01085758, 23.95007626]", "FAIL"),
    ]
    assert all(r[12] in ("new", "run") for r in rows)


def test_a_performance_run_does_not_hide_the_accuracy_run_before_it(tmp_path):
    write_result(tmp_path / "resnet/Offline/float32/acc", "resnet50", "2026-12-01T10:00:00Z", [RESNET_TARGET],
                 verdict="PASS")
    write_result(tmp_path / "resnet/Offline/float32/perf", "resnet50", "2026-12-01T10:00:05Z", [],
                 mode="performance", verdict="NOT JUDGED", loadgen={"summary": {
                     "result_validity": "VALID", "result_samples_per_second": 1234.5,
                     "result_99.00_percentile_latency_ns": 25_000_000}})
    write_result(tmp_path / "resnet/Server/float32/server", "resnet50", "2026-12-01T09:00:00Z", [RESNET_TARGET],
                 verdict="PASS")
    rows = summary.records(summary.latest_results(str(tmp_path)).results)
    assert [(r["scenario"], r["mode"], r["run_id"], r["label"]) for r in rows] == [
        ("Offline", "accuracy", "acc", "PASS"),
        ("Offline", "performance", "perf", "NOT JUDGED"),
        ("Server", "accuracy", "server", "PASS"),
    ]
    perf = rows[1]
    assert (perf["loadgen_validity"], perf["throughput"], perf["throughput_unit"], perf["p99_latency_ms"]) == \
        ("VALID", 1234.5, "samples/s", 25.0)
    assert rows[0]["value"] == 76.2 and rows[0]["throughput"] is None and rows[0]["revision"] == "0123456789"


def test_demos_are_hidden_unless_asked_for_so_a_demo_never_hides_a_real_run(tmp_path):
    write_result(tmp_path / "resnet/Offline/float32/real", "resnet50", "2026-12-01T10:00:00Z", [RESNET_TARGET],
                 verdict="PASS")
    write_result(tmp_path / "resnet/Offline/float32/demo", "resnet50", "2026-12-01T11:00:00Z",
                 [{**RESNET_TARGET, "value": 0.0, "pass": False}], demo=True, verdict="PARTIAL",
                 verdict_on_slice="FAIL")
    hidden = summary.latest_results(str(tmp_path))
    assert [r["run_dir"].rsplit("/", 1)[1] for r in hidden.results] == ["real"] and hidden.hidden_demos == 1
    shown = summary.records(summary.latest_results(str(tmp_path), demos=True).results)
    assert [(r["run_id"], r["label"], r["verdict"], r["verdict_on_slice"]) for r in shown] == [
        ("demo", "PARTIAL (fail on n=5000) (demo)", "PARTIAL", "FAIL")]
    text, note = summary.render(str(tmp_path))
    assert "real" in text and "demo" not in text.split("\n", 2)[2]
    assert note == "1 demo run(s) hidden: DEMO=1 shows them"


def test_llm_throughput_is_tokens_per_second_and_failed_runs_say_so(tmp_path):
    llama = {"config": {"mode": "performance"}, "loadgen": {"summary": {
        "result_validity": "INVALID", "result_samples_per_second": 0.33, "result_tokens_per_second": 126.2,
        "result_90.00_percentile_latency_ns": 2e10}}}
    figures = performance.figures(llama)
    assert (figures["throughput"], figures["unit"], figures["p99_ms"]) == (126.2, "tokens/s", None)
    assert figures["latency_ms"] == {"90.00": 20000.0}
    assert performance.figures({"config": {"mode": "accuracy"}}) == {}
    write_result(tmp_path / "bert/Offline/float32/crash", "bert", "2026-12-01T10:00:00Z", [], verdict="ERROR",
                 status="interrupted")
    (row,) = summary.records(summary.latest_results(str(tmp_path)).results)
    assert row["label"] == "ERROR (interrupted)"


def test_summary_settings_are_validated_at_the_edge():
    assert command_settings.summary_settings({}) == ("text", False)
    assert command_settings.summary_settings({"FORMAT": "CSV", "DEMO": "1"}) == ("csv", True)
    with pytest.raises(UsageError, match=r"FORMAT='xml' is not valid: use text, csv or json"):
        command_settings.summary_settings({"FORMAT": "xml"})
    with pytest.raises(UsageError, match=r"DEMO='maybe' is not valid: use 1 .* or 0"):
        command_settings.summary_settings({"DEMO": "maybe"})


@pytest.fixture(scope="module")
def performance_demo(tmp_path_factory):
    """A real SingleStream performance run (LoadGen, the ResNet demo), and a real accuracy demo."""
    tmp = tmp_path_factory.mktemp("summary_demo")
    env = harness_env(tmp, THREADS=1)
    for extra in ({"MODE": "performance", "SCENARIO": "SingleStream"}, {}):
        done = run([sys.executable, "-m", "harness", "demo", "resnet"], {**env, **extra})
        assert done.returncode == 0, done.stdout + done.stderr
    return tmp, env


def test_make_summary_csv_and_json_carry_loadgen_results_of_a_real_run(performance_demo):
    tmp, env = performance_demo
    (perf_dir,) = (tmp / "logs" / "resnet" / "SingleStream" / "float32").iterdir()
    detail = detail_values(perf_dir)

    hidden = run(["make", "-s", "summary"], env)
    assert hidden.returncode == 0 and "no results under" in hidden.stdout
    assert "2 demo run(s) hidden: DEMO=1 shows them" in hidden.stderr

    as_json = run(["make", "-s", "summary", "FORMAT=json", "DEMO=1"], env)
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)
    assert [(r["scenario"], r["mode"]) for r in rows] == [("Offline", "accuracy"), ("SingleStream", "performance")]
    perf = rows[1]
    assert perf["loadgen_validity"] == detail["result_validity"]
    # SingleStream states queries per second, one sample per query; it is not in result.json's summary
    assert perf["throughput"] == detail["result_qps_with_loadgen_overhead"] and perf["throughput_unit"] == "samples/s"
    assert perf["p99_latency_ms"] == detail["result_99.00_percentile_latency_ns"] / 1e6
    assert perf["label"] == "PARTIAL (n=64) (demo)" and perf["demo"] is True
    assert rows[0]["label"] == "PARTIAL (fail on n=64) (demo)" and rows[0]["verdict_on_slice"] == "FAIL"

    as_csv = run(["make", "-s", "summary", "FORMAT=csv", "DEMO=1"], env)
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(table[0]) == list(summary.FIELDS)
    assert [(r["run_id"], r["throughput"]) for r in table] == [(r["run_id"], str(r["throughput"] or "")) for r in rows]

    text = run(["make", "-s", "summary", "DEMO=1"], env).stdout
    line = next(x for x in text.splitlines() if "SingleStream" in x)
    assert f"{detail['result_qps_with_loadgen_overhead']:.6g}" in line and detail["result_validity"] in line


def test_a_bad_format_is_exit_2_naming_the_variable(tmp_path):
    done = run([sys.executable, "-m", "harness", "summary"], harness_env(tmp_path, FORMAT="yaml"))
    assert done.returncode == 2
    assert "FORMAT='yaml' is not valid: use text, csv or json." in done.stderr
