"""What the MLPerf Inference v4.1 submission checker requires of a tree, as data.

Read from mlcommons/inference at tag v4.1 (commit 379ee534), ``tools/submission/
submission_checker.py`` and ``truncate_accuracy_log.py``; each block names where it comes from.
The tree is ``<division>/<submitter>/{results,measurements,systems,code,compliance}``.
"""

from __future__ import annotations

VERSION = "v4.1"
DIVISIONS = ("closed", "open")  # VALID_DIVISIONS also has network, which a local harness is not
AVAILABILITIES = ("available", "preview", "rdi")  # VALID_AVAILABILITIES

# MODEL_CONFIG["v4.1"]["models"]: the folder names under results/<system>/ (rnnt is not in v4.1)
MODELS = ("resnet", "retinanet", "bert-99", "bert-99.9", "dlrm-v2-99", "dlrm-v2-99.9", "3d-unet-99",
          "3d-unet-99.9", "gptj-99", "gptj-99.9", "llama2-70b-99", "llama2-70b-99.9", "stable-diffusion-xl",
          "mixtral-8x7b")

# MODEL_CONFIG["v4.1"]["required-scenarios-<system type>"]: what a closed submission must hold
_DC = {"resnet": ("Server", "Offline"), "retinanet": ("Server", "Offline"), "bert-99": ("Server", "Offline"),
       "bert-99.9": ("Server", "Offline"), "dlrm-v2-99": ("Server", "Offline"),
       "dlrm-v2-99.9": ("Server", "Offline"), "3d-unet-99": ("Offline",), "3d-unet-99.9": ("Offline",),
       "gptj-99": ("Server", "Offline"), "gptj-99.9": ("Server", "Offline"),
       "llama2-70b-99": ("Server", "Offline"), "llama2-70b-99.9": ("Server", "Offline"),
       "stable-diffusion-xl": ("Server", "Offline"), "mixtral-8x7b": ("Server", "Offline")}
_EDGE = {"resnet": ("SingleStream", "MultiStream", "Offline"),
         "retinanet": ("SingleStream", "MultiStream", "Offline"), "bert-99": ("SingleStream", "Offline"),
         "3d-unet-99": ("SingleStream", "Offline"), "3d-unet-99.9": ("SingleStream", "Offline"),
         "gptj-99": ("SingleStream", "Offline"), "gptj-99.9": ("SingleStream", "Offline"),
         "stable-diffusion-xl": ("SingleStream", "Offline")}
# datacenter,edge: both lists joined, and mixtral-8x7b also needs SingleStream there
_BOTH = {**_DC, **{k: tuple(dict.fromkeys(v + _DC.get(k, ()))) for k, v in _EDGE.items()},
         "mixtral-8x7b": ("SingleStream", "Server", "Offline")}
REQUIRED_SCENARIOS = {"datacenter": _DC, "edge": _EDGE, "datacenter,edge": _BOTH}

# check_results_dir: exact file lists (files_diff tolerates only mlperf_log_trace.json, results.json
# and .gitkeep besides these; OPTIONAL_PERF_FILES adds mlperf_log_accuracy.json to run_1/)
ACCURACY_FILES = ("accuracy.txt", "mlperf_log_accuracy.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt")
PERFORMANCE_FILES = ("mlperf_log_detail.txt", "mlperf_log_summary.txt")  # REQUIRED_PERF_FILES, in run_1/
# check_measurement_dir: REQUIRED_MEASURE_FILES (not empty), plus <system>_<implementation>_<Scenario>.json
# holding SYSTEM_IMP_REQUIRED_FILES, and a folder code/<model>/ for the implementation
MEASUREMENT_FILES = ("mlperf.conf", "user.conf", "README.md")
IMPLEMENTATION_FIELDS = ("input_data_types", "retraining", "starting_weights_filename", "weight_data_types",
                         "weight_transformations")

# check_system_desc_id: SYSTEM_DESC_REQUIRED_FIELDS must all be keys; those in
# SYSTEM_DESC_MEANINGFUL_RESPONSE_REQUIRED_FIELDS must also be non-empty
SYSTEM_FIELDS = (
    "division", "submitter", "status", "system_name", "number_of_nodes", "host_processor_model_name",
    "host_processors_per_node", "host_processor_core_count", "host_memory_capacity", "host_storage_capacity",
    "host_storage_type", "accelerators_per_node", "accelerator_model_name", "accelerator_memory_capacity",
    "framework", "operating_system", "system_type", "other_software_stack", "host_processor_frequency",
    "host_processor_caches", "host_memory_configuration", "host_processor_interconnect", "host_networking",
    "host_networking_topology", "accelerator_frequency", "accelerator_host_interconnect",
    "accelerator_interconnect", "accelerator_interconnect_topology", "accelerator_memory_configuration",
    "accelerator_on-chip_memories", "cooling", "hw_notes", "sw_notes", "host_network_card_count",
    "system_type_detail")
SYSTEM_MEANINGFUL_FIELDS = (
    "division", "submitter", "system_type", "status", "system_name", "number_of_nodes",
    "host_processor_model_name", "host_processors_per_node", "host_processor_core_count", "host_memory_capacity",
    "host_memory_configuration", "host_storage_capacity", "host_storage_type", "host_networking",
    "host_network_card_count", "host_networking_topology", "accelerators_per_node", "accelerator_model_name",
    "accelerator_memory_capacity", "accelerator_host_interconnect", "accelerator_memory_configuration",
    "accelerator_interconnect", "cooling", "framework", "operating_system", "other_software_stack")

# check_compliance_dir (v4.1): the audit tests each model needs under compliance/ in closed
_NO_TEST04 = ("bert-99", "bert-99.9", "dlrm-v2-99", "dlrm-v2-99.9", "3d-unet-99", "3d-unet-99.9", "retinanet")
_LLM = ("llama2-70b-99", "llama2-70b-99.9", "mixtral-8x7b")
COMPLIANCE_TESTS = {
    **{m: ("TEST01", "TEST04", "TEST05") for m in MODELS},
    **{m: ("TEST01", "TEST05") for m in _NO_TEST04},
    "gptj-99": (), "gptj-99.9": (), **{m: ("TEST06",) for m in _LLM},
    "stable-diffusion-xl": ("TEST01", "TEST04"),
}

# check_performance_dir: what the performance run's detail log must show
MIN_DURATION_MS = 600000  # TEST_DURATION_MS: effective_min_duration_ms at least this
PERFORMANCE_SAMPLE_COUNT = {  # MODEL_CONFIG["v4.1"]["performance-sample-count"]: effective_... at least this
    "resnet": 1024, "retinanet": 64, "bert-99": 10833, "bert-99.9": 10833, "dlrm-v2-99": 204800,
    "dlrm-v2-99.9": 204800, "3d-unet-99": 43, "3d-unet-99.9": 43, "gptj-99": 13368, "gptj-99.9": 13368,
    "llama2-70b-99": 24576, "llama2-70b-99.9": 24576, "stable-diffusion-xl": 5000, "mixtral-8x7b": 15000}
OFFLINE_MIN_SAMPLES_PER_QUERY = {  # OFFLINE_MIN_SPQ_SINCE_V4: effective_samples_per_query of Offline
    "resnet": 24576, "retinanet": 24576, "bert-99": 10833, "bert-99.9": 10833, "dlrm-v2-99": 24576,
    "dlrm-v2-99.9": 24576, "3d-unet-99": 43, "3d-unet-99.9": 43, "gptj-99": 13368, "gptj-99.9": 13368,
    "llama2-70b-99": 24576, "llama2-70b-99.9": 24576, "stable-diffusion-xl": 5000, "mixtral-8x7b": 15000}
EARLY_STOPPING_SCENARIOS = ("Server", "SingleStream", "MultiStream")  # Config.uses_early_stopping
