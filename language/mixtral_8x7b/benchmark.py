"""Declaration of Mixtral-8x7B-Instruct on OpenOrca + GSM8K + MBXP (15,000 prompts, v4.1)."""

from harness.declaration import Artifact, Benchmark, Option, Target
from language.llm.assets import PUNKT

_DATASET_URL = "https://inference.mlcommons-storage.org/mixtral_8x7b%2F2024.06.06_mixtral_15k_v4.pkl"

BENCHMARK = Benchmark(
    id="mixtral_8x7b",
    aliases=("mixtral", "mixtral-8x7b"),
    options=(Option("MBXP_SANDBOX", parse="language.mixtral_8x7b.sandbox:parse_mode", default="bwrap",
                    help="bwrap: MBXP programs run in a bubblewrap sandbox; none: without one (unsafe)"),
             Option("ENGINE", "language.llm.engine_choice:parse_engine", "hf",
                    help="hf: transformers (the reference's way); vllm: vLLM in its own environment"),),
    log_name="mixtral-8x7b",
    loadgen_model="mixtral-8x7b",
    domain="language",
    dataset="language.mixtral_8x7b.dataset:MixtralQsl",
    backend="language.mixtral_8x7b.backend:ReferenceBackend",
    codec="harness.codecs:INT64",
    metric="language.mixtral_8x7b.metric:score",
    accuracy_command="language.mixtral_8x7b.accuracy:main",
    demo="language.mixtral_8x7b.demo:build",
    diff="language.mixtral_8x7b.diff:compare_outputs",
    gpu_sized=True,  # days on a CPU: DEVICE=auto without a usable GPU stops
    # v4.1 has a single 99% class; TOKENS_PER_SAMPLE also has an upper limit (145.9 x 1.1).
    targets={"mixtral-8x7b": (Target("ROUGE1", 45.4911), Target("ROUGE2", 23.2829), Target("ROUGEL", 30.3615),
                              Target("TOKENS_PER_SAMPLE", 145.9, 0.9, upper_multiplier=1.1),
                              Target("gsm8k_accuracy", 73.78), Target("mbxp_accuracy", 60.12))},
    primary="mixtral-8x7b",
    total_count=15000,
    performance_count=15000,
    default_batch_size=1,
    # v4.1 mlperf.conf sets mixtral-8x7b.*.use_token_latencies=1: every response carries n_tokens
    # and, outside Offline, the first token is reported before completion.
    report_tokens=True,
    eos_token_id=2,  # the sentencepiece tokenizer's </s>
    artifacts=(
        Artifact(
            name="dataset",
            path="mixtral-8x7b/2024.06.06_mixtral_15k_v4.pkl",
            manual=("No checksum is published for this pickle, so it is not fetched for you. Download it "
                    "(wget " + _DATASET_URL + ") and put it at {path}, or name it with its sha256 in a MANIFEST "
                    "whose \"dataset\" entry gives its path and sha256 (checked before every read; see the README "
                    "of language/mixtral_8x7b)."),
            licence="MLCommons (OpenOrca MIT, GSM8K MIT, MBXP Apache-2.0)",
        ),
        Artifact(
            name="model",
            path="models/mixtral-8x7b-instruct-v0.1",
            manual=("mistralai/Mixtral-8x7B-Instruct-v0.1 at Hugging Face commit "
                    "a60832cb6c88d5cb6e507680d0e9996fbad77050 (later commits changed the tokenizer files), or the "
                    "MLCommons copy: rclone copy mlc-inference:mlcommons-inference-wg-public/mixtral_8x7b/"
                    "mixtral-8x7b-instruct-v0.1 ./mixtral-8x7b-instruct-v0.1 -P (see the v4.1 README of "
                    "language/mixtral-8x7b); place config.json, the safetensors shards and the tokenizer files in "
                    "DATA_DIR/models/mixtral-8x7b-instruct-v0.1/."),
            licence="Apache-2.0 (Mistral AI)",
        ),
        PUNKT,
    ),
    notes=(
        "MBXP programs run only for languages whose toolchain is installed; skipped languages are listed.",
        "Responses are int64 in every scenario and hold every generated token (upstream Server drops the first).",
    ),
)
