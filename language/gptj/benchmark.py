"""Declaration of GPT-J 6B on CNN/DailyMail (13,368 articles; ROUGE-1/2/L and GEN_LEN)."""

from harness.declaration import Artifact, Benchmark, Option, Target
from language.llm.assets import PUNKT


def _targets(multiplier: float) -> tuple[Target, ...]:
    return (Target("ROUGE1", 42.9865, multiplier), Target("ROUGE2", 20.1235, multiplier),
            Target("ROUGEL", 29.9881, multiplier), Target("GEN_LEN", 4016878, 0.9))


BENCHMARK = Benchmark(
    id="gptj",
    aliases=("gpt-j", "gptj-99", "gptj-99.9"),
    log_name="gpt-j",
    loadgen_model="gptj",
    domain="language",
    dataset="language.gptj.dataset:CnnDailyMail",
    backend="language.gptj.backend:ReferenceBackend",
    codec="harness.codecs:INT64",
    metric="language.gptj.metric:score",
    accuracy_command="language.gptj.accuracy:main",
    demo="language.gptj.demo:build",
    diff="language.gptj.diff:compare_outputs",
    gpu_sized=True,  # days on a CPU: DEVICE=auto without a usable GPU stops
    targets={"gptj-99": _targets(0.99), "gptj-99.9": _targets(0.999)},
    options=(Option("ENGINE", "language.llm.engine_choice:parse_beam_engine", "hf",
                    help="hf only: vLLM cannot reproduce the reference's beam search"),),
    primary="gptj-99",
    total_count=13368,
    performance_count=13368,
    default_batch_size=8,
    # v4.1 mlperf.conf sets gptj.*.infer_token_latencies (LoadGen infers token counts with a
    # scaling factor of 69): no n_tokens and no first-token call are needed from the SUT.
    report_tokens=False,
    artifacts=(
        Artifact(
            name="dataset",
            path="cnn-dailymail/cnn_eval.json",
            manual=("No checksum or direct link is published. Produce cnn_eval.json with the reference's "
                    "language/gpt-j/download_cnndm.py (mlcommons/inference v4.1): HF datasets "
                    "'cnn_dailymail' config '3.0.0', split 'validation' (13,368 records), written as a JSON list "
                    "of records with the keys instruction, input and output; then place it at "
                    "DATA_DIR/cnn-dailymail/cnn_eval.json."),
            licence="Apache-2.0 (CNN/DailyMail, abisee/cnn_dailymail on the Hugging Face Hub)",
        ),
        Artifact(
            name="model",
            path="models/gpt-j/checkpoint.zip",
            unpack="models/gpt-j/checkpoint",
            contains=("config.json",),
            manual=("MLCommons' fine-tuned GPT-J 6B (HF format, fp32, ~24 GB, tokenizer included): "
                    "wget https://cloud.mlcommons.org/index.php/s/QAZ2oM94MkFtbQx/download -O checkpoint.zip "
                    "or rclone copy mlc-inference:mlcommons-inference-wg-public/gpt-j (see the v4.1 README of "
                    "language/gpt-j); put config.json, the weights and the tokenizer files directly in "
                    "DATA_DIR/models/gpt-j/checkpoint/."),
            licence="Apache-2.0 (EleutherAI GPT-J 6B, fine-tuned by MLCommons)",
        ),
        PUNKT,
    ),
    notes=(
        "punkt_tab.zip is checked against nltk's own sha256 before use and never downloaded while scoring.",
        "Samples of one batch are generated together (left padding); the reference generates one at a time.",
    ),
)
