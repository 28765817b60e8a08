"""Compliance tests (TEST01, TEST04, TEST05, TEST06) through the real LoadGen wheel on demo fixtures:
each passes on an honest backend and fails on one that cheats the way the test exists to catch
(tests/cheating_backends.py), with upstream's verification files and PASS/FAIL in result.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, harness_env, run

TESTS_DIR = ROOT / "tests"
RESNET = {"N_COUNT": 64, "DEVICE": "cpu", "WORKERS": 1, "BATCH_SIZE": 32}
TEST05_SAMPLE_INDEX_SEED = 5453809927556429288  # v4.1 mlperf.conf: *.*.test05_sample_index_rng_seed


def compliance_env(tmp_path: Path, **extra) -> dict:
    return harness_env(tmp_path, PYTHONPATH=f"{ROOT}:{TESTS_DIR}", **extra)


def compliance(name: str, env: dict, *flags: str, cwd: Path = ROOT):
    return run([env["PYTHON"], "-m", "harness.compliance", name, *flags], env, cwd=cwd)


def runs_by_role(log_dir: Path) -> dict[str, list[tuple[Path, dict]]]:
    """Every run directory under ``log_dir`` with its result.json, by its compliance role."""
    found: dict[str, list] = {}
    for path in sorted(log_dir.glob("*/*/*/*/result.json")):
        result = json.loads(path.read_text())
        found.setdefault(result["config"]["compliance_run"] + "/" + result["config"]["mode"], []).append(
            (path.parent, result))
    return found


def detail(run_dir: Path, key: str):
    match = re.search(rf'"key": "{key}", "value": ([^,]+),', (run_dir / "mlperf_log_detail.txt").read_text())
    return json.loads(match.group(1))


def summary_score(run_dir: Path) -> str:
    text = (run_dir / "mlperf_log_summary.txt").read_text()
    return re.search(r"^Samples per second: (\S+)$", text, re.M).group(1)


def lines(path: Path) -> list[str]:
    return path.read_text().split("\n")


def test_make_target_runs_the_compliance_script(tmp_path):
    done = run(["make", "-n", "compliance_resnet", "TEST=TEST01"], harness_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "bash scripts/compliance.sh resnet" in done.stdout


def test_honest_backend_passes_every_test_resnet_needs(tmp_path):
    # A stray audit.config in the working directory (every query the same sample) must change nothing.
    work = tmp_path / "cwd"
    work.mkdir()
    (work / "audit.config").write_text("*.*.performance_issue_unique = 0\n*.*.performance_issue_same = 1\n")
    env = compliance_env(tmp_path, COMPLIANCE="all", DEMO=1, BACKEND="cheating_backends:Paced", **RESNET)
    done = run(["bash", str(ROOT / "scripts" / "compliance.sh"), "resnet"], env, cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== compliance: TEST01 PASS, TEST04 PASS, TEST05 PASS" in done.stdout

    roles = runs_by_role(tmp_path / "logs")
    assert sorted(roles) == ["TEST01/performance", "TEST04/performance", "TEST05/performance",
                             "reference/accuracy", "reference/performance"]  # references shared by the tests
    (accuracy, _), = roles["reference/accuracy"]
    (performance, _), = roles["reference/performance"]
    for reference in (accuracy, performance):  # no audit: the stray file and the tests' files never reach them
        assert not (reference / "audit.config").exists()
        assert detail(reference, "effective_performance_issue_same") is False
        assert detail(reference, "effective_accuracy_log_probability") == 0

    (test01, result), = roles["TEST01/performance"]
    assert result["compliance"] == {"test": "TEST01", "verdict": "PASS",
                                    "files": ["verify_accuracy.txt", "verify_performance.txt"],
                                    "reference_runs": {"accuracy": str(accuracy), "performance": str(performance)}}
    assert (test01 / "audit.config").read_text() == (
        "*.*.mode = 2\n*.*.accuracy_log_rng_seed = 720381539243781796\n*.*.accuracy_log_sampling_target = 4096\n")
    logged = json.loads((test01 / "mlperf_log_accuracy.json").read_text())
    assert len(logged) == 70  # every response of the ~70-sample query is sampled (4096 / 64 expected)
    assert detail(test01, "effective_accuracy_log_rng_seed") == 720381539243781796
    assert lines(test01 / "verify_accuracy.txt") == [
        "Verifying accuracy. This might take a while...", "Reading accuracy mode results...",
        "Reading performance mode results...", "num_acc_log_entries = 64", "num_acc_log_duplicate_keys = 0",
        "num_acc_log_data_mismatch = 0", "num_perf_log_entries = 70", "num_perf_log_qsl_idx_match = 70",
        "num_perf_log_data_mismatch = 0", "num_missing_qsl_idxs = 0", "TEST PASS", "", ""]

    for test in ("TEST01", "TEST04", "TEST05"):
        (run_dir, result), = roles[f"{test}/performance"]
        assert result["compliance"]["verdict"] == "PASS"
        assert lines(run_dir / "verify_performance.txt") == [
            "Verifying performance.", "WARNING: 1 ERROR reported in test results",  # LoadGen 4.1.30's audit error
            f"reference score = {summary_score(performance)}", f"test score = {summary_score(run_dir)}",
            "TEST PASS", ""]
    (test04, _), = roles["TEST04/performance"]
    assert detail(test04, "effective_performance_issue_same") is True
    assert detail(test04, "effective_performance_issue_same_index") == 3
    (test05, _), = roles["TEST05/performance"]
    assert detail(test05, "effective_sample_index_rng_seed") == TEST05_SAMPLE_INDEX_SEED
    assert detail(performance, "effective_sample_index_rng_seed") != TEST05_SAMPLE_INDEX_SEED

    summary = run([env["PYTHON"], "-m", "harness", "summary"], {**env, "DEMO": "1"})
    assert re.search(r"performance \(TEST05\) .* TEST05 PASS \(n=64\) \(demo\)", summary.stdout), summary.stdout


@pytest.mark.parametrize("test,cheat,failure", [
    ("TEST01", "StaleAnswers", "num_perf_log_data_mismatch = [1-9]"),
    ("TEST04", "CachedByIndex", "TEST FAIL: Test score invalid"),
    ("TEST05", "TunedToDefaultSeeds", "TEST FAIL: Test score invalid"),
])
def test_cheating_backend_fails_the_test_made_for_it(tmp_path, test, cheat, failure):
    env = compliance_env(tmp_path, TEST=test, BACKEND=f"cheating_backends:{cheat}",
                         CHEAT_REPLAY=tmp_path / "replay.pkl", **RESNET)
    if cheat == "TunedToDefaultSeeds":  # its "tuning": one run under the official seeds, recorded
        tuned = run([env["PYTHON"], "-m", "harness", "demo", "resnet"],
                    {**env, "MODE": "performance", "COMPLIANCE_RUN": "reference", "LOG_DIR": str(tmp_path / "tune")})
        assert tuned.returncode == 0 and (tmp_path / "replay.pkl").is_file(), tuned.stdout + tuned.stderr
    done = compliance("resnet", env, "--demo")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"== compliance: {test} FAIL" in done.stdout
    (run_dir, result), = runs_by_role(tmp_path / "logs")[f"{test}/performance"]
    assert result["compliance"]["verdict"] == "FAIL"
    name = "verify_accuracy.txt" if test == "TEST01" else "verify_performance.txt"
    assert re.search(failure, (run_dir / name).read_text()), (run_dir / name).read_text()
    if test == "TEST01":
        assert "TEST FAIL" in lines(run_dir / "verify_accuracy.txt")
    else:
        reference, test_score = (float(re.search(rf"^{k} score = (\S+)$", (run_dir / name).read_text(), re.M)
                                       .group(1)) for k in ("reference", "test"))
        assert (test_score > reference * 1.1) if test == "TEST04" else (test_score < reference * 0.95)


@pytest.fixture(scope="module")
def llama2_demo(tmp_path_factory):
    pytest.importorskip("torch")
    from language.llama2_70b import demo

    return demo.build(tmp_path_factory.mktemp("llama2_demo"), count=6, seed=1)  # short answers: a quick run


@pytest.mark.parametrize("backend,verdict,eos", [("reference", "PASS", True), ("cheating_backends:ExtraEos",
                                                                               "FAIL", False)])
def test_llm_outputs_pass_test06_unless_padded_with_eos(tmp_path, llama2_demo, backend, verdict, eos):
    env = compliance_env(tmp_path, TEST="TEST06", BACKEND=backend, MANIFEST=llama2_demo, N_COUNT=6,
                         SCENARIO="Server", DEVICE="cpu", HF_HOME=tmp_path / "hf")
    done = compliance("llama2", env)
    assert done.returncode == (0 if verdict == "PASS" else 1), done.stdout + done.stderr
    (run_dir, result), = runs_by_role(tmp_path / "logs")["TEST06/performance"]
    assert result["compliance"] == {"test": "TEST06", "verdict": verdict, "files": ["verify_accuracy.txt"],
                                    "reference_runs": {}}
    assert lines(run_dir / "verify_accuracy.txt") == [
        "First token check pass: True", f"EOS check pass: {eos}", "Sample length check pass: True",
        "TEST06 verification complete" if eos else "TEST06 verification failed", ""]
    entries = json.loads((run_dir / "mlperf_log_accuracy.json").read_text())
    assert len(entries) >= 100  # TEST06's audit: min_query_count 100, every response logged
    assert all(e["token_count"] * 16 == len(e["data"]) for e in entries)


@pytest.mark.parametrize("name,env,message", [
    ("resnet", {"TEST": "TEST9"}, "TEST='TEST9' is not valid: use TEST01|TEST04|TEST05|TEST06"),
    ("resnet", {"TEST": "TEST06"}, "TEST='TEST06' is not valid: resnet takes TEST01|TEST04|TEST05"),
    ("resnet", {"COMPLIANCE": "some"}, "COMPLIANCE='some' is not valid: use all"),
    ("resnet", {"COMPLIANCE": "all", "TEST": "TEST01"}, "give TEST or COMPLIANCE=all, not both"),
    ("resnet", {}, "TEST is not set: resnet takes TEST01|TEST04|TEST05"),
    ("resnet", {"TEST": "TEST01", "DEMO": "maybe"}, "DEMO='maybe' is not valid"),
    ("gpt-j", {"TEST": "TEST01"}, "gpt-j has no compliance test in MLPerf Inference v4.1"),
    ("llama2", {"TEST": "TEST06", "N_COUNT": "0"}, "N_COUNT='0' is not valid"),
    ("resnet", {"TEST": "TEST01", "SHARDS": "2", "SHARD": "0"}, "SHARDS='2' is not valid with a compliance test"),
])
def test_bad_settings_exit_2_naming_the_value(tmp_path, name, env, message):
    done = run(["bash", str(ROOT / "scripts" / "compliance.sh"), name], compliance_env(tmp_path, **env))
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert not (tmp_path / "logs").exists()  # stopped before any run


def test_compliance_run_variable_is_checked_on_plain_runs(tmp_path):
    env = compliance_env(tmp_path, COMPLIANCE_RUN="TEST06")
    done = run([env["PYTHON"], "-m", "harness", "check", "resnet"], env)
    assert done.returncode == 2
    assert "COMPLIANCE_RUN='TEST06' is not valid: the compliance driver sets it to reference|TEST01|TEST04|TEST05" \
        in done.stderr


def test_every_benchmark_that_must_pass_test06_declares_its_eos_token():
    from harness import compliance, registry

    needing = [b for b in registry.all_benchmarks() if "TEST06" in compliance.required(b.loadgen_model)]
    assert {b.id for b in needing} == {"llama2_70b", "mixtral_8x7b"}
    assert all(b.eos_token_id == 2 for b in needing)
