"""`make submission`: real demo runs of ResNet50 exported into the MLPerf Inference v4.1 submission
tree, checked against the rules of upstream's v4.1 checker (mlcommons/inference, tag v4.1,
tools/submission/submission_checker.py and truncate_accuracy_log.py), written below as data."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import harness_env, labelled_manifest, run

# --- the v4.1 checker's rules, as data -------------------------------------------------------------
# check_results_dir: files_diff(list_files(acc_path), REQUIRED_ACC_FILES) must be empty; files_diff
# tolerates only FILES_DIFF_TOLERATED besides the list.
ACCURACY_FILES = {"accuracy.txt", "mlperf_log_accuracy.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt"}
FILES_DIFF_TOLERATED = {"mlperf_log_trace.json", "results.json", ".gitkeep"}
# check_results_dir: performance/run_1 against REQUIRED_PERF_FILES (+ OPTIONAL_PERF_FILES)
PERFORMANCE_FILES = {"mlperf_log_summary.txt", "mlperf_log_detail.txt"}
OPTIONAL_PERFORMANCE_FILES = {"mlperf_log_accuracy.json"}
# check_measurement_dir: REQUIRED_MEASURE_FILES, none empty; a file that starts with the system name and
# ends in _<Scenario>.json holding SYSTEM_IMP_REQUIRED_FILES; the folder code/<model>/ must exist
MEASUREMENT_FILES = {"mlperf.conf", "user.conf", "README.md"}
IMPLEMENTATION_FIELDS = {"input_data_types", "retraining", "starting_weights_filename", "weight_data_types",
                         "weight_transformations"}
# check_system_desc_id: SYSTEM_DESC_REQUIRED_FIELDS; check_results_dir: VALID_AVAILABILITIES, system types
SYSTEM_FIELDS = {
    "division", "submitter", "status", "system_name", "number_of_nodes", "host_processor_model_name",
    "host_processors_per_node", "host_processor_core_count", "host_memory_capacity", "host_storage_capacity",
    "host_storage_type", "accelerators_per_node", "accelerator_model_name", "accelerator_memory_capacity",
    "framework", "operating_system", "system_type", "other_software_stack", "host_processor_frequency",
    "host_processor_caches", "host_memory_configuration", "host_processor_interconnect", "host_networking",
    "host_networking_topology", "accelerator_frequency", "accelerator_host_interconnect", "accelerator_interconnect",
    "accelerator_interconnect_topology", "accelerator_memory_configuration", "accelerator_on-chip_memories",
    "cooling", "hw_notes", "sw_notes", "host_network_card_count", "system_type_detail"}
AVAILABILITIES = {"available", "preview", "rdi"}
SYSTEM_TYPES = {"datacenter", "edge", "datacenter,edge", "edge,datacenter"}
# check_accuracy_dir: the hash line, ACC_PATTERN["acc"], MAX_ACCURACY_LOG_SIZE
HASH_LINE = r"^hash=([\w\d]+)$"
ACC_LINE = r"^accuracy=([\d\.]+).*"
MAX_ACCURACY_LOG_SIZE = 10 * 1024
# truncate_accuracy_log.truncate_file: the first and last VIEWABLE_SIZE bytes, joined by "\n\n...\n\n"
VIEWABLE_SIZE = 4096
# check_results_dir folder checks: FILE_SIZE_LIMIT_MB; only .md/.pdf files beside the divisions
FILE_SIZE_LIMIT = 50 * 1024 * 1024
# MODEL_CONFIG["v4.1"]["seeds"], which check_performance_dir compares with the detail log
SEEDS = {"qsl_rng_seed": 3066443479025735752, "sample_index_rng_seed": 10688027786191513374,
         "schedule_rng_seed": 14962580496156340209}
# check_compliance_dir: the audit tests resnet needs in closed
RESNET_COMPLIANCE = "TEST01, TEST04, TEST05"
# ---------------------------------------------------------------------------------------------------

SYSTEM, SUBMITTER = "demo-cpu", "acme"
SCENARIOS = ("Offline", "Server")


def _demo(env: dict, where: Path, **settings) -> Path:
    done = run([sys.executable, "-m", "harness", "demo", "resnet", "--run-dir-file", str(where)],
               dict(env, **settings))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Path(where.read_text().strip())


def _export(env: dict, **settings) -> object:
    return run([sys.executable, "-m", "harness", "submission"], dict(env, **{k: str(v) for k, v in settings.items()}))


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """Accuracy (8 samples) and performance runs of the ResNet demo, Offline and Server."""
    tmp = tmp_path_factory.mktemp("submission")
    env = harness_env(tmp, WORKERS=1, THREADS=1, OMP_NUM_THREADS=1)
    runs = {}
    for scenario in SCENARIOS:
        runs[scenario, "accuracy"] = _demo(env, tmp / f"{scenario}-a.txt", SCENARIO=scenario, N_COUNT="8")
        runs[scenario, "performance"] = _demo(env, tmp / f"{scenario}-p.txt", SCENARIO=scenario, MODE="performance")
    return {"tmp": tmp, "env": env, "runs": runs}


@pytest.fixture(scope="module")
def dry_run(demo_runs):
    out = demo_runs["tmp"] / "out"
    done = _export(demo_runs["env"], SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, DEMO=1, OUT=out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {**demo_runs, "out": out, "top": out / "closed" / SUBMITTER, "stdout": done.stdout}


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def _dirs(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_dir()}


def test_the_tree_has_the_folders_and_exact_file_lists_the_checker_walks(dry_run):
    out, top = dry_run["out"], dry_run["top"]
    assert _dirs(out) == {"closed"} and all(f.endswith((".md", ".pdf")) for f in _files(out))
    assert _files(out / "closed") == set() and _dirs(out / "closed") == {SUBMITTER}
    assert _dirs(top) == {"results", "measurements", "systems", "code"}  # no compliance runs exist yet
    assert _dirs(top / "results") == {SYSTEM} and _dirs(top / "results" / SYSTEM) == {"resnet"}
    assert _dirs(top / "results" / SYSTEM / "resnet") == set(SCENARIOS)
    for scenario in SCENARIOS:
        result = top / "results" / SYSTEM / "resnet" / scenario
        assert _dirs(result) == {"accuracy", "performance"} and _dirs(result / "performance") == {"run_1"}
        assert _files(result / "accuracy") ^ ACCURACY_FILES <= FILES_DIFF_TOLERATED
        assert _files(result / "accuracy") == ACCURACY_FILES
        assert (_files(result / "performance" / "run_1") ^ PERFORMANCE_FILES) - OPTIONAL_PERFORMANCE_FILES == set()
    assert _files(top / "systems") == {f"{SYSTEM}.json"}
    for path in top.rglob("*"):  # check_results_dir's folder checks
        assert not path.name.startswith(".") and " " not in path.name and path.name != "__pycache__"
        assert not path.is_dir() or any(path.iterdir()), f"empty folder {path}"
        assert not path.is_file() or path.stat().st_size <= FILE_SIZE_LIMIT


def test_accuracy_txt_keeps_the_score_and_the_full_logs_hash(dry_run):
    for scenario in SCENARIOS:
        run_dir = dry_run["runs"][scenario, "accuracy"]
        exported = dry_run["top"] / "results" / SYSTEM / "resnet" / scenario / "accuracy"
        lines = (exported / "accuracy.txt").read_text().splitlines()
        hashes = [m.group(1) for line in lines if (m := re.match(HASH_LINE, line))]
        full_log = (run_dir / "mlperf_log_accuracy.json").read_bytes()
        assert hashes == [hashlib.sha256(full_log).hexdigest()]
        result = json.loads((run_dir / "result.json").read_text())
        scores = [float(m.group(1)) for line in lines if (m := re.match(ACC_LINE, line))]
        assert scores == [round(result["metrics"]["acc"], 3)] and len(lines) == 2
        # 8 samples make a log under VIEWABLE_SIZE bytes, which upstream's truncation leaves whole
        assert len(full_log) < VIEWABLE_SIZE
        assert (exported / "mlperf_log_accuracy.json").read_bytes() == full_log
        for name in ("mlperf_log_detail.txt", "mlperf_log_summary.txt"):
            assert (exported / name).read_bytes() == (run_dir / name).read_bytes()
        performance = dry_run["runs"][scenario, "performance"]
        for name in PERFORMANCE_FILES:
            copied = exported.parent / "performance" / "run_1" / name
            assert copied.read_bytes() == (performance / name).read_bytes()


def test_measurements_hold_the_runs_mlperf_conf_user_conf_readme_and_implementation(dry_run):
    top = dry_run["top"]
    for scenario in SCENARIOS:
        folder = top / "measurements" / SYSTEM / "resnet" / scenario
        implementation = f"{SYSTEM}_reference_{scenario}.json"
        assert _files(folder) == MEASUREMENT_FILES | {implementation}
        assert all((folder / name).stat().st_size > 0 for name in MEASUREMENT_FILES)
        conf = (folder / "mlperf.conf").read_text()
        detail = (dry_run["runs"][scenario, "performance"] / "mlperf_log_detail.txt").read_text()
        for key, seed in SEEDS.items():  # the v4.1 seeds, as the run logged them
            assert f"*.*.{key} = {seed}\n" in conf
            assert f'"key": "effective_{key}", "value": {seed},' in detail
        assert "resnet50.Server.target_latency = 15\n" in conf
        performance = dry_run["runs"][scenario, "performance"]
        assert (folder / "user.conf").read_bytes() == (performance / "user.conf").read_bytes()
        fields = json.loads((folder / implementation).read_text())
        assert set(fields) == IMPLEMENTATION_FIELDS
        assert fields["starting_weights_filename"] == "resnet_tiny.pt" and fields["weight_data_types"] == "float32"
        readme = (folder / "README.md").read_text()
        assert "DRY RUN" in readme and performance.name in readme
        assert f"SCENARIO={scenario} DATA_TYPE=float32 N_COUNT=8 bash scripts/demo.sh resnet" in readme
    code = top / "code" / "resnet" / "reference"  # check_measurement_dir's code_dir for implementation "reference"
    assert _files(code) == {"README.md"}


def test_systems_json_has_every_checker_field_and_says_it_is_a_dry_run(dry_run):
    system = json.loads((dry_run["top"] / "systems" / f"{SYSTEM}.json").read_text())
    assert set(system) == SYSTEM_FIELDS
    assert (system["division"], system["submitter"]) == ("closed", SUBMITTER)
    assert system["status"] in AVAILABILITIES and system["system_type"] == "datacenter"  # Offline + Server
    assert "DRY RUN" in system["system_name"] and "DRY RUN" in system["hw_notes"]
    # the demo ran on the CPU: no accelerator; framework versions from the runs' records
    assert (system["accelerators_per_node"], system["accelerator_model_name"]) == ("0", "N/A")
    result = json.loads((dry_run["runs"]["Offline", "accuracy"] / "result.json").read_text())
    packages = result["provenance"]["packages"]
    assert system["framework"] == f"PyTorch {packages['torch']}"
    assert f"mlcommons-loadgen {packages['mlcommons-loadgen']}" in system["other_software_stack"]
    assert result["provenance"]["harness"]["commit"] in system["sw_notes"]
    assert system["host_processor_model_name"] == ""  # only the user knows it, and is told so
    assert "DRY RUN" in (dry_run["out"] / "README.md").read_text()


def test_the_output_says_what_the_user_must_still_do(dry_run):
    text = dry_run["stdout"]
    assert f"fill in systems/{SYSTEM}.json: host_processor_model_name" in text
    assert f"fill in measurements/{SYSTEM}/resnet/Offline/{SYSTEM}_reference_Offline.json: input_data_types" in text
    assert "put the code in code/resnet/reference/" in text
    for scenario in SCENARIOS:
        assert f"add compliance/{SYSTEM}/resnet/{scenario}/ with {RESNET_COMPLIANCE}" in text
        assert f"resnet {scenario} performance run: performance_sample_count 64, the checker needs 1024" in text
        assert f"resnet {scenario} accuracy run: its verdict is PARTIAL, not PASS" in text
    assert "resnet Offline performance run: 1 samples per query, the checker needs 24576" in text
    assert (dry_run["out"] / "README.md").read_text().count("- add compliance/") == 2


def test_demo_runs_are_refused_without_DEMO(demo_runs):
    env, runs, out = demo_runs["env"], demo_runs["runs"], demo_runs["tmp"] / "refused"
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, OUT=out)
    assert done.returncode == 2 and "nothing to export" in done.stderr
    assert "4 run(s) left out: it is a demo run" in done.stdout and "DEMO=1" in done.stdout
    assert not (out / "closed").exists()
    chosen = f"{runs['Server', 'accuracy']},{runs['Server', 'performance'].name}"  # a path and a run id
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, OUT=out, RUNS=chosen)
    assert done.returncode == 2
    assert f"RUNS: {runs['Server', 'accuracy']} cannot be exported: it is a demo run" in done.stderr
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, OUT=out, RUNS=chosen, DEMO=1, DIVISION="open")
    assert done.returncode == 0, done.stderr
    assert _dirs(out / "open" / SUBMITTER / "results" / SYSTEM / "resnet") == {"Server"}
    assert "add compliance/" not in done.stdout  # the open division needs no audit tests


@pytest.mark.parametrize("setting, value, says", [
    ("SYSTEM", "my box", "SYSTEM='my box' is not valid: it names folders and files"),
    ("SYSTEM", "../up", "SYSTEM='../up' is not valid"),
    ("SYSTEM", ".hidden", "SYSTEM='.hidden' is not valid"),
    ("SUBMITTER", "a/b", "SUBMITTER='a/b' is not valid"),
    ("DIVISION", "network", "DIVISION='network' is not valid: use closed or open"),
    ("DEMO", "yes please", "DEMO='yes please' is not valid"),
    ("RUNS", "no-such-run", "RUNS='no-such-run' is not valid: 'no-such-run' is neither a run directory"),
    ("SUBMISSION_CHECKER", "/", "SUBMISSION_CHECKER='/' is not valid: give a checkout of mlcommons/inference"),
])
def test_a_bad_setting_stops_with_exit_2_naming_it(demo_runs, setting, value, says):
    settings = {"SYSTEM": SYSTEM, "SUBMITTER": SUBMITTER, "OUT": demo_runs["tmp"] / "bad", setting: value}
    done = _export(demo_runs["env"], **settings)
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert not (demo_runs["tmp"] / "bad").exists()


def test_an_earlier_export_is_never_overwritten(dry_run):
    done = _export(dry_run["env"], SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, DEMO=1, OUT=dry_run["out"])
    assert done.returncode == 2 and "already holds closed/acme from an earlier export" in done.stderr


def test_a_log_changed_after_scoring_is_refused(demo_runs):
    logs = demo_runs["tmp"] / "changed-logs"
    copies = {}
    for mode in ("accuracy", "performance"):
        source = demo_runs["runs"]["Offline", mode]
        copies[mode] = logs / "resnet" / "Offline" / "float32" / source.name
        shutil.copytree(source, copies[mode])
    with open(copies["accuracy"] / "mlperf_log_accuracy.json", "a") as log:
        log.write(" ")
    out = demo_runs["tmp"] / "changed-out"
    done = _export(dict(demo_runs["env"], LOG_DIR=str(logs)), SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, DEMO=1, OUT=out)
    assert done.returncode == 1
    assert "the log changed after it was scored" in done.stderr and str(copies["accuracy"]) in done.stderr
    assert not (out / "closed").exists()  # nothing half-written


def test_a_log_over_4096_bytes_is_truncated_as_upstream_does(tmp_path):
    """160 samples make a LoadGen accuracy log of about 9 KB: its first and last 4096 bytes are kept."""
    pytest.importorskip("torch")
    from vision.resnet50 import demo

    manifest = demo.build(tmp_path / "fixture", count=160, seed=5)
    env = harness_env(tmp_path, WORKERS=1, THREADS=1, OMP_NUM_THREADS=1, MANIFEST=manifest, DEVICE="cpu",
                      N_COUNT=160)
    chosen = []
    for mode in ("accuracy", "performance"):
        where = tmp_path / f"{mode}.txt"
        done = run([sys.executable, "-m", "harness", "run", "resnet", "--run-dir-file", str(where)],
                   dict(env, MODE=mode))
        assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]  # random weights may fail
        chosen.append(where.read_text().strip())
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, DEMO=1, OUT=tmp_path / "out", RUNS=",".join(chosen))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    full = (Path(chosen[0]) / "mlperf_log_accuracy.json").read_bytes()
    exported = tmp_path / "out" / "closed" / SUBMITTER / "results" / SYSTEM / "resnet" / "Offline" / "accuracy"
    assert len(full) > 2 * VIEWABLE_SIZE + 200  # long enough that its middle is cut out
    truncated = (exported / "mlperf_log_accuracy.json").read_bytes()
    assert truncated == full[:VIEWABLE_SIZE] + b"\n\n...\n\n" + full[-VIEWABLE_SIZE:]
    assert len(truncated) <= MAX_ACCURACY_LOG_SIZE
    hashes = [m.group(1) for line in (exported / "accuracy.txt").read_text().splitlines()
              if (m := re.match(HASH_LINE, line))]
    assert hashes == [hashlib.sha256(full).hexdigest()]


def test_runs_that_did_not_pass_go_only_into_a_dry_run(tmp_path, resnet_fixture):
    """Not demos, but 24 of 50,000 samples: a PARTIAL accuracy run and a short performance run."""
    manifest = labelled_manifest(resnet_fixture, tmp_path / "fixture", correct=24)
    env = harness_env(tmp_path, WORKERS=1, THREADS=1, OMP_NUM_THREADS=1, MANIFEST=manifest, DEVICE="cpu",
                      N_COUNT=24)
    chosen = []
    for mode in ("accuracy", "performance"):
        where = tmp_path / f"{mode}.txt"
        done = run([sys.executable, "-m", "harness", "run", "resnet", "--run-dir-file", str(where)],
                   dict(env, MODE=mode))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        chosen.append(where.read_text().strip())
    assert json.loads((Path(chosen[0]) / "result.json").read_text())["verdict"] == "PARTIAL"
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, OUT=tmp_path / "out")
    assert done.returncode == 2
    assert "1 run(s) left out: its verdict is PARTIAL, not PASS" in done.stdout
    assert "1 run(s) left out: it is a short run" in done.stdout
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, OUT=tmp_path / "out", RUNS=",".join(chosen))
    assert done.returncode == 2 and f"RUNS: {chosen[0]} cannot be exported: its verdict is PARTIAL" in done.stderr
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, OUT=tmp_path / "out", DEMO=1)
    assert done.returncode == 0 and "resnet Offline: accuracy" in done.stdout


def test_model_keys_and_benchmarks_outside_v4_1():
    from harness import registry
    from harness.submission.select import model_keys, refusal

    bert = registry.get("bert")
    rows = [{"key": "bert-99", "pass": True}, {"key": "bert-99.9", "pass": True}]
    assert model_keys(bert, {"targets": rows}, dry_run=False) == ("bert-99", "bert-99.9")
    rows[1]["pass"] = False
    assert model_keys(bert, {"targets": rows}, dry_run=False) == ("bert-99",)
    assert model_keys(bert, {"targets": [dict(r, **{"pass": True}) for r in rows]}, dry_run=True) == ("bert-99",)
    rnnt = {"status": "completed", "benchmark": "rnnt", "demo": True, "config": {"mode": "accuracy"}}
    assert "rnnt is no v4.1 benchmark" in refusal(rnnt, dry_run=True)  # MODEL_CONFIG["v4.1"]["models"] lacks it


def test_gpu_inventory_reads_nvidia_smis_csv():
    from harness.submission.systems import gpu_inventory

    query = "0, NVIDIA H100 80GB HBM3, 81559\n1, NVIDIA H100 80GB HBM3, 81559\n"
    assert gpu_inventory(query) == {0: ("NVIDIA H100 80GB HBM3", "80 GB"), 1: ("NVIDIA H100 80GB HBM3", "80 GB")}
    assert gpu_inventory(None) == {} and gpu_inventory("No devices were found\n") == {}


def test_make_submission_target_runs_the_export(dry_run, tmp_path):
    env = {k: v for k, v in dry_run["env"].items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    done = run(["make", "--no-print-directory", "submission", f"SYSTEM={SYSTEM}", f"SUBMITTER={SUBMITTER}", "DEMO=1",
                f"OUT={tmp_path / 'made'}", f"PYTHON={sys.executable}"], env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "made" / "closed" / SUBMITTER / "systems" / f"{SYSTEM}.json").is_file()
    assert os.path.getsize(tmp_path / "made" / "README.md") > 0


# check_compliance_dir / check_compliance_perf_dir / check_compliance_acc_dir (v4.1): per test, the files
# of TEST<nn>/, of TEST<nn>/performance/run_1/ (REQUIRED_COMP_PER_FILES) and of TEST01/accuracy/
# (REQUIRED_TEST01_ACC_FILES_1 when verify_accuracy.txt has TEST PASS; files_diff rejects any other file)
COMPLIANCE_TEST_FILES = {"TEST01": {"verify_accuracy.txt", "verify_performance.txt"},
                         "TEST04": {"verify_performance.txt"}, "TEST05": {"verify_performance.txt"}}
COMPLIANCE_PERF_FILES = {"mlperf_log_summary.txt", "mlperf_log_detail.txt"}
TEST01_ACC_FILES_PASSED = {"mlperf_log_accuracy.json", "accuracy.txt"}


def test_passing_compliance_runs_are_exported_as_the_checker_walks_them(tmp_path):
    env = harness_env(tmp_path, PYTHONPATH=f"{Path(__file__).parent.parent}:{Path(__file__).parent}",
                      COMPLIANCE="all", DEMO="1", BACKEND="cheating_backends:Paced", N_COUNT="64", DEVICE="cpu",
                      WORKERS="1", BATCH_SIZE="32")
    done = run([sys.executable, "-m", "harness.compliance", "resnet", "--demo"], env)
    assert "TEST01 PASS, TEST04 PASS, TEST05 PASS" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    # the compliance runs' references are no result: one accuracy and one performance run of the plain demo
    _demo(env, tmp_path / "a.txt", SCENARIO="Offline", N_COUNT="8", BACKEND="cheating_backends:Paced")
    _demo(env, tmp_path / "p.txt", SCENARIO="Offline", MODE="performance", BACKEND="cheating_backends:Paced")
    done = _export(env, SYSTEM=SYSTEM, SUBMITTER=SUBMITTER, DEMO=1, OUT=tmp_path / "out")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    top = tmp_path / "out" / "closed" / SUBMITTER
    scenario = top / "compliance" / SYSTEM / "resnet" / "Offline"
    assert _dirs(top / "results" / SYSTEM / "resnet") == {"Offline"}
    assert _dirs(scenario) == set(RESNET_COMPLIANCE.split(", "))
    audited = {json.loads(p.read_text())["compliance"]["test"]: p.parent
               for p in (tmp_path / "logs").glob("*/*/*/*/result.json") if "compliance" in json.loads(p.read_text())}
    for test, files in COMPLIANCE_TEST_FILES.items():
        assert _files(scenario / test) == files
        assert _dirs(scenario / test) == ({"accuracy", "performance"} if test == "TEST01" else {"performance"})
        assert _files(scenario / test / "performance" / "run_1") == COMPLIANCE_PERF_FILES
        assert "TEST PASS" in (scenario / test / "verify_performance.txt").read_text()
        for name in files | COMPLIANCE_PERF_FILES:  # the audited run's own files, unchanged
            where = scenario / test / (name if name.startswith("verify") else f"performance/run_1/{name}")
            assert where.read_bytes() == (audited[test] / name).read_bytes()
    accuracy = scenario / "TEST01" / "accuracy"
    assert _files(accuracy) == TEST01_ACC_FILES_PASSED
    full = (audited["TEST01"] / "mlperf_log_accuracy.json").read_bytes()
    assert re.fullmatch(HASH_LINE, (accuracy / "accuracy.txt").read_text().strip()).group(1) == \
        hashlib.sha256(full).hexdigest()
    assert "add compliance/" not in done.stdout  # every test resnet needs is there
    # its two references and three audited runs never stand for the plain result
    assert "5 run(s) left out: it is part of a compliance test" in done.stdout
