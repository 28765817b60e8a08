"""Declaration of Llama-2-70B-chat on OpenOrca (24,576 samples; ROUGE-1/2/L and TOKENS_PER_SAMPLE)."""

from harness.declaration import Artifact, Benchmark, Option, Target
from language.llm.assets import PUNKT


def _targets(multiplier: float) -> tuple[Target, ...]:
    # tokens per sample: at least 90 % of the reference's 294.45 and at most 110 % of it
    return (Target("ROUGE1", 44.4312, multiplier), Target("ROUGE2", 22.0352, multiplier),
            Target("ROUGEL", 28.6162, multiplier), Target("TOKENS_PER_SAMPLE", 294.45, 0.9, upper_multiplier=1.1))


BENCHMARK = Benchmark(
    id="llama2_70b",
    aliases=("llama2", "llama2-70b", "llama2-70b-99", "llama2-70b-99.9"),
    log_name="llama2-70b",
    loadgen_model="llama2-70b",
    domain="language",
    dataset="language.llama2_70b.dataset:OpenOrca",
    backend="language.llama2_70b.backend:ReferenceBackend",
    codec="harness.codecs:INT64",
    metric="language.llama2_70b.metric:score",
    accuracy_command="language.llama2_70b.accuracy:main",
    demo="language.llama2_70b.demo:build",
    diff="language.llama2_70b.diff:compare_outputs",
    gpu_sized=True,  # days on a CPU: DEVICE=auto without a usable GPU stops
    targets={"llama2-70b-99": _targets(0.99), "llama2-70b-99.9": _targets(0.999)},
    options=(Option("ENGINE", "language.llm.engine_choice:parse_engine", "hf",
                    help="hf: transformers (the reference's way); vllm: vLLM in its own environment"),),
    primary="llama2-70b-99",
    total_count=24576,
    performance_count=24576,
    default_batch_size=32,
    scenarios=("Offline", "Server"),  # the reference SUT has these two
    # v4.1 mlperf.conf sets llama2-70b.*.use_token_latencies: every response carries n_tokens >= 2,
    # and outside Offline the first token is reported before the response.
    report_tokens=True,
    eos_token_id=2,  # the sentencepiece tokenizer's </s>
    artifacts=(
        Artifact(
            name="dataset",
            path="open-orca/open_orca_gpt4_tokenized_llama.sampled_24576.pkl",
            manual=("No direct link or checksum is published for the processed OpenOrca pickle. Get "
                    "open_orca_gpt4_tokenized_llama.sampled_24576.pkl with "
                    "'rclone copy mlc-inference:mlcommons-inference-wg-public/open_orca ./open_orca -P' (MLCommons "
                    "R2, see the v4.1 README of language/llama2-70b), or build it with the reference's "
                    "processorca.py (--seqlen_limit=1024 --num_total_samples=24576) from Open-Orca/OpenOrca's "
                    "1M-GPT4-Augmented.parquet, and put it at {path} (or name it with its sha256 in a MANIFEST: "
                    '{"artifacts": {"dataset": {"path": "...pkl", "sha256": "..."}}}, checked before every read).'),
            licence="MIT (Open-Orca/OpenOrca)",
        ),
        Artifact(
            name="model",
            path="models/llama2/Llama-2-70b-chat-hf.tar",  # or the folder below, filled by hand
            unpack="models/llama2/Llama-2-70b-chat-hf",
            contains=("config.json", "tokenizer.model"),
            manual=("meta-llama/Llama-2-70b-chat-hf is gated by Meta's Llama 2 licence: accept it at "
                    "https://huggingface.co/meta-llama/Llama-2-70b-chat-hf (or, as an MLCommons member, at "
                    "https://llama2.mlcommons.org), then 'git lfs install && git clone "
                    "https://huggingface.co/meta-llama/Llama-2-70b-chat-hf' and put config.json, the safetensors "
                    "shards and the tokenizer files (tokenizer.model, tokenizer.json, tokenizer_config.json) "
                    "directly in DATA_DIR/models/llama2/Llama-2-70b-chat-hf/."),
            licence="Llama 2 Community License (Meta)",
        ),
        PUNKT,
    ),
    notes=(
        "Outputs are cut at the first EOS before tokens are counted (the reference's 294.45 counts no EOS/pads).",
        "All scenarios log int64 token ids, first token included (the reference's Server drops it: issue #1813).",
        "Samples of one batch are generated together (left padding, length-sorted in Offline).",
    ),
)
