"""The audit.config of each compliance test, as compliance/nvidia/TEST*/ of v4.1 sets it, written
into the run directory of the run that needs it (LoadGen is given that path, so the file applies to
that run alone; every other run is given a path that cannot exist)."""

from __future__ import annotations

from pathlib import Path

from ..registry import ROOT

SEED = 720381539243781796  # TEST01 and TEST06: accuracy_log_rng_seed

# TEST01/<model>/audit.config: how many responses of the performance run go to the accuracy log.
TEST01_SAMPLING_TARGET = {"resnet50": 4096, "retinanet": 256, "bert": 4096, "dlrm-v2": 4096, "3d-unet": 64,
                          "rnnt": 4096, "stable-diffusion-xl": 128, "gptj": 4096}

# A compliance run of a slice (N_COUNT below the dataset) appends this to user.conf, as a partial run
# appends short_run.conf: an Offline query of about 70 samples, short and still VALID, so the
# performance comparisons compare runs that LoadGen accepts.
SHORT_CONF = ROOT / "loadgen" / "compliance_short.conf"


def audit_lines(test: str, loadgen_model: str) -> list[str]:
    """The settings lines (``model.scenario.key = value``) of ``test``'s audit.config."""
    if test == "TEST01":
        return ["*.*.mode = 2", f"*.*.accuracy_log_rng_seed = {SEED}",
                f"*.*.accuracy_log_sampling_target = {TEST01_SAMPLING_TARGET[loadgen_model]}"]
    if test == "TEST04":  # every query issues sample 3 of the loaded set
        lines = []
        for scenario in ("MultiStream", "Offline", "SingleStream", "Server"):
            lines += [f"*.{scenario}.mode = 2", f"*.{scenario}.performance_issue_unique = 0",
                      f"*.{scenario}.performance_issue_same = 1", f"*.{scenario}.performance_issue_same_index = 3"]
        return lines + ["stable-diffusion-xl.Offline.min_query_count = 500"]
    if test == "TEST05":  # LoadGen then uses the test05_* seeds of mlperf.conf instead of the official ones
        return ["*.*.test05 = 1"]
    if test == "TEST06":
        return ["*.*.mode = 2", f"*.*.accuracy_log_rng_seed = {SEED}", "*.*.accuracy_log_sampling_target = 100",
                "*.*.min_query_count = 100", "*.*.min_duration = 0", "*.*.sample_concatenate_permutation = 0"]
    raise ValueError(f"no audit.config for {test!r}")


def write(run_dir: Path, test: str, loadgen_model: str) -> Path:
    path = Path(run_dir) / "audit.config"
    path.write_text("".join(f"{line}\n" for line in audit_lines(test, loadgen_model)))
    return path


def prepare(run) -> dict:
    """The runner's audit settings of ``run``: for a compliance run (RunConfig.compliance_run set) the
    short settings of a slice are appended to its user.conf, and its test's audit.config is written."""
    role = run.config.compliance_run
    if not role:
        return {}
    if run.partial:
        with (Path(run.run_dir) / "user.conf").open("a") as conf:
            conf.write(SHORT_CONF.read_text())
    if role == "reference":
        return {}
    return {"audit_config": write(run.run_dir, role, run.benchmark.loadgen_model), "audit_test": role}


def apply_ignored_keys(ts, test: str, loadgen_model: str, scenario: str) -> None:
    """The audit keys that LoadGen 4.1.30 reads from mlperf.conf only (TestSettings::FromConfig skips
    accuracy_log_*, test05 and sample_concatenate_permutation in any other file), set on ``ts`` so
    that the test does what its audit.config asks. accuracy_log_sampling_target has no Python
    binding: its probability is computed as StartTest would (target / the queries expected)."""
    values = dict(line.split(" = ") for line in audit_lines(test, loadgen_model))
    if values.get("*.*.test05") == "1":
        ts.test05 = True  # StartTest then takes the test05_* seeds of mlperf.conf
    if "*.*.accuracy_log_rng_seed" in values:
        ts.accuracy_log_rng_seed = int(values["*.*.accuracy_log_rng_seed"])
        target = int(values["*.*.accuracy_log_sampling_target"])
        ts.accuracy_log_probability = target / expected_queries(ts, scenario)


def expected_queries(ts, scenario: str) -> float:
    """LoadGen's expected sample count of a performance run (loadgen.cc, RunPerformanceMode)."""
    if scenario == "Offline":
        return max(1.0, ts.offline_expected_qps * ts.min_duration_ms / 1000)
    per_query = ts.multi_stream_samples_per_query if scenario == "MultiStream" else 1
    qps = {"Server": ts.server_target_qps, "SingleStream": 1e9 / ts.single_stream_expected_latency_ns,
           "MultiStream": 1e9 / ts.multi_stream_expected_latency_ns}[scenario]
    return max(1.0, int(qps * ts.min_duration_ms / 1000) * per_query, ts.min_query_count * per_query)


# LoadGen 4.1.30 counts the audit.config as a second conf file and logs this error into every audited
# run; upstream's compliance runs carry it too, and the v4.1 checker reads only their verify_*.txt.
AUDIT_CONF_ERROR = "Multiple conf files are used"


def unexpected(run, errors: list) -> list:
    """LoadGen's logged errors less the one an audited run always has."""
    if run.config.compliance_run in ("", "reference"):
        return errors
    return [e for e in errors if AUDIT_CONF_ERROR not in str(e.get("value", "") if isinstance(e, dict) else e)]
