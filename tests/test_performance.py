"""Performance runs: per-system LoadGen settings (SYSTEM), INVALID results that fail with LoadGen's
reasons and advice, and FIND_PEAK on a backend of known capacity (tests/sleep_backend.py: 5 ms per
sample at batch size 1, so at most 200 samples/s). Real LoadGen, real ResNet demo data, a copy of
the tree whose loadgen/systems/ holds this test's systems."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT, harness_env, run

CAPACITY = 200.0  # samples/s of the sleeping backend: 1 / 5 ms
SYSTEMS = {
    # Offline asks for 20 samples/s (LoadGen issues 22 samples, done in ~0.1 s: min duration not met);
    # Server asks for 3x the capacity (the queue grows: the 15 ms latency bound breaks)
    "t-wrong": "*.Offline.target_qps = 20\n*.Server.target_qps = 600\n",
    "t-right": "# enough samples for the 1 s minimum duration at 200 samples/s\n*.Offline.target_qps = 400\n",
    # a latency bound that a few-second probe near capacity meets despite a busy machine's jitter
    "t-peak": "*.Server.target_latency = 500\n",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The harness, loadgen/ and the ResNet benchmark, copied, plus this test's systems."""
    tmp = tmp_path_factory.mktemp("performance")
    copy = tmp / "tree"
    for part in ("harness", "loadgen", "vision/resnet50"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "vision" / "__init__.py", copy / "vision")
    (copy / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "sleep_backend.py", copy / "tests")
    for name, text in SYSTEMS.items():
        (copy / "loadgen" / "systems" / name).mkdir(parents=True)
        (copy / "loadgen" / "systems" / name / "user.conf").write_text(text)
    env = harness_env(tmp, PYTHONPATH=copy, WORKERS=1, THREADS=1, MODE="performance", BATCH_SIZE=1,
                      BACKEND="tests.sleep_backend:SleepBackend", SLEEP_BACKEND_MS=5)
    return copy, env, tmp


def demo(tree, **settings):
    copy, env, tmp = tree
    where = tmp / "run_dir.txt"
    done = run([sys.executable, "-m", "harness", "demo", "resnet", "--run-dir-file", str(where)],
               dict(env, **{k: str(v) for k, v in settings.items()}), cwd=copy)
    run_dir = Path(where.read_text().strip())
    return done, json.loads((run_dir / "result.json").read_text()), run_dir


def test_bad_system_and_find_peak_values_exit_2(tree):
    copy, env, _ = tree

    def check(**settings):
        done = run([sys.executable, "-m", "harness", "check", "resnet"], dict(env, **settings), cwd=copy)
        assert done.returncode == 2, done.stdout + done.stderr
        return done.stderr

    missing = check(SYSTEM="no-such-system")
    assert "SYSTEM='no-such-system' is not valid" in missing
    assert "(there: example, t-peak, t-right, t-wrong)" in missing
    assert "is not valid" in check(SYSTEM="../loadgen")
    assert "FIND_PEAK='2' is not valid: use 1" in check(FIND_PEAK="2")
    assert "needs MODE=performance" in check(FIND_PEAK="1", MODE="accuracy")
    assert "SCENARIO=SingleStream" in check(FIND_PEAK="1", SCENARIO="SingleStream")


def test_server_target_beyond_capacity_fails_with_the_reason_and_advice(tree):
    done, result, run_dir = demo(tree, SYSTEM="t-wrong", SCENARIO="Server")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    summary = result["loadgen"]["summary"]
    assert summary["result_validity"] == "INVALID" and summary["result_perf_constraints_met"] is False
    assert summary["effective_target_qps"] == 600
    assert "performance constraints (latency) not met" in out
    assert "target_qps too high for the latency bound: lower *.Server.target_qps (now 600" in out
    assert "in loadgen/systems/t-wrong/user.conf" in out
    assert "LoadGen suggests: Reduce target QPS" in out
    assert result["verdict"] == "FAIL" and any("LoadGen suggests" in n for n in result["notes"])
    assert result["loadgen"]["user_conf"][0] == "systems/t-wrong/user.conf"
    assert (run_dir / "user.conf").read_text().startswith(SYSTEMS["t-wrong"])


def test_offline_target_too_low_fails_and_names_the_rate_to_ask_for(tree):
    done, result, _ = demo(tree, SYSTEM="t-wrong", SCENARIO="Offline")
    assert done.returncode == 1, done.stdout + done.stderr
    summary = result["loadgen"]["summary"]
    assert summary["result_min_duration_met"] is False
    measured = float(summary["result_samples_per_second"])
    asked = re.search(r"target_qps too low: .* set \*\.Offline\.target_qps = ([0-9.]+) \(measured\)", done.stdout)
    assert asked and float(asked.group(1)) == pytest.approx(measured, rel=1e-5)
    assert 0.5 * CAPACITY < measured <= 1.05 * CAPACITY
    assert "LoadGen suggests: Increase expected QPS" in done.stdout


def test_a_valid_run_exits_0_and_records_its_system(tree):
    done, result, run_dir = demo(tree, SYSTEM="t-right", SCENARIO="Offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert result["loadgen"]["summary"]["result_validity"] == "VALID" and result["verdict"] == "NOT JUDGED"
    assert result["config"]["system"] == "t-right" and result["pairing"]["system"] == "t-right"
    assert "*.Offline.target_qps = 400" in (run_dir / "user.conf").read_text()
    # an accuracy run of the same configuration carries the same key; another system, another key
    _, accuracy, _ = demo(tree, SYSTEM="t-right", SCENARIO="Offline", MODE="accuracy")
    _, other, _ = demo(tree, SYSTEM="t-wrong", SCENARIO="Offline", MODE="accuracy")
    assert accuracy["pairing"] == result["pairing"] and other["pairing"]["key"] != result["pairing"]["key"]
    # the placeholder on a demo: INVALID as expected, said so, exit 0 (a pipeline check)
    done, result, _ = demo(tree, SCENARIO="Offline")
    assert done.returncode == 0 and result["loadgen"]["summary"]["result_validity"] == "INVALID"
    assert "expected with the placeholder loadgen/user.conf" in done.stdout
    assert "target_qps too low" in done.stdout


def _probes_kept(record: dict) -> list[dict]:
    for probe in record["probes"]:
        probe_result = json.loads(Path(probe["run_dir"], "result.json").read_text())
        assert probe_result["find_peak"]["role"] == "probe"
        assert probe_result["loadgen"]["summary"]["result_validity"] == probe["validity"]
    return record["probes"]


def test_find_peak_offline_measures_the_capacity(tree):
    done, result, run_dir = demo(tree, SCENARIO="Offline", FIND_PEAK=1)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = result["find_peak"]
    probes = _probes_kept(record)
    # the placeholder's 1 sample/s: too short; each next probe asks for the rate measured (x 1.1)
    # until one is VALID, and the peak is that probe's measured rate
    assert probes[0]["target_qps"] is None and probes[0]["validity"] == "INVALID"
    assert [p["validity"] for p in probes[1:]] == ["INVALID"] * (len(probes) - 2) + ["VALID"]
    for before, after in zip(probes, probes[1:]):
        assert after["target_qps"] == pytest.approx(before["samples_per_second"] * 1.1, rel=1e-5)
    assert record["peak_target_qps"] == pytest.approx(probes[-1]["samples_per_second"], rel=1e-5)
    assert 0.6 * CAPACITY <= record["peak_target_qps"] <= 1.05 * CAPACITY
    assert result["loadgen"]["summary"]["effective_target_qps"] == pytest.approx(record["peak_target_qps"], rel=1e-4)
    assert result["loadgen"]["summary"]["result_validity"] == "VALID"


def test_find_peak_server_bisects_to_the_highest_valid_target(tree):
    done, result, _ = demo(tree, SYSTEM="t-peak", SCENARIO="Server", FIND_PEAK=1)
    record = result["find_peak"]
    probes = _probes_kept(record)
    server = [p for p in probes if p["scenario"] == "Server"]
    bound = next(p for p in reversed(probes) if p["scenario"] == "Offline")["samples_per_second"]
    peak = record["peak_target_qps"]
    assert server and all(p["target_qps"] <= bound for p in server)
    # the peak is the highest VALID probe, every probe above it was INVALID, and the bracket closed
    assert peak == pytest.approx(max(p["target_qps"] for p in server if p["validity"] == "VALID"), rel=1e-5)
    above = [p["target_qps"] for p in server if p["target_qps"] > peak] + [bound]
    assert all(p["validity"] == "INVALID" for p in server if p["target_qps"] > peak)
    assert min(above) - peak <= 0.05 * min(above) + 1e-6
    assert 0.5 * CAPACITY <= peak <= 1.05 * CAPACITY
    summary = result["loadgen"]["summary"]
    assert summary["effective_target_qps"] == pytest.approx(peak, rel=1e-4)
    assert done.returncode == (0 if summary["result_validity"] == "VALID" else 1), done.stdout[-3000:]


def test_the_export_pairs_runs_of_one_configuration_and_leaves_probes_out(tmp_path):
    from harness.submission.select import choose_latest

    def result(name, mode, started, key=None, **extra):
        run_dir = tmp_path / "resnet" / "Offline" / "float32" / name
        run_dir.mkdir(parents=True)
        record = {"benchmark": "resnet50", "status": "completed", "verdict": "PASS", "started": started,
                  "config": {"mode": mode, "scenario": "Offline", "data_type": "float32", "backend": "reference"},
                  "loadgen": {"summary": {"result_validity": "VALID"}}, **extra}
        if key:
            record["pairing"] = {"system": "t-right", "key": key}
        (run_dir / "result.json").write_text(json.dumps(record))
        return str(run_dir)

    paired = result("a-perf", "performance", "2026-01-01T00:00:01Z", key="k1")
    result("b-perf-other-system", "performance", "2026-01-01T00:00:02Z", key="k2")
    accuracy = result("c-acc", "accuracy", "2026-01-01T00:00:03Z", key="k1")
    result("d-probe", "performance", "2026-01-01T00:00:04Z", key="k1", find_peak={"role": "probe"})
    selection = choose_latest(str(tmp_path), dry_run=True)
    (export,) = selection.exports
    assert export.accuracy["run_dir"] == accuracy and export.performance["run_dir"] == paired
    assert "1 run(s) left out: it is a FIND_PEAK probe (a short search run): export the confirming run " \
           "that lists it" in selection.notes
    # runs without a key (older results): the newest of the same data type and backend, as before
    newest = result("e-perf-unkeyed", "performance", "2026-01-01T00:00:05Z")
    shutil.rmtree(Path(paired))
    assert choose_latest(str(tmp_path), dry_run=True).exports[0].performance["run_dir"] == newest
