"""Declaration of RNN-T (LibriSpeech dev-clean, word error rate read as accuracy = 100 - WER %)."""

from harness.declaration import Artifact, Benchmark, Target

_F9 = "https://raw.githubusercontent.com/mlcommons/inference/f9a643c0a0e920588da1b51a1d822e1071a9dbec"
_CHECKPOINT = "DistributedDataParallel_1576581068.9962234-epoch-100.pt"

BENCHMARK = Benchmark(
    id="rnnt",
    aliases=(),
    loadgen_model="rnnt",
    domain="speech_recognition",
    dataset="speech_recognition.rnnt.dataset:LibrispeechDataset",
    backend="speech_recognition.rnnt.backend:ReferenceBackend",
    codec="harness.codecs:INT64",
    metric="speech_recognition.rnnt.metric:score",
    accuracy_command="speech_recognition.rnnt.accuracy:main",
    demo="speech_recognition.rnnt.demo:build",
    diff="speech_recognition.rnnt.diff:compare_outputs",
    # v4.0 checker (rnnt left the v4.1 table): the WER line's accuracy >= (100 - 7.452) x 0.99.
    targets={"rnnt": (Target("WER", 100 - 7.452, 0.99),)},
    primary="rnnt",
    total_count=2513,
    performance_count=2513,
    scenarios=("Offline", "Server", "SingleStream"),
    data_types=("float32",),
    default_batch_size=1,
    artifacts=(
        Artifact(
            name="weights",
            path="models/rnnt/rnnt.pt",
            size=543976536,
            sources=(
                f"https://zenodo.org/record/3662521/files/{_CHECKPOINT}?download=1",
                f"https://mlperf-public.s3.us-west-2.amazonaws.com/{_CHECKPOINT}",
            ),
            licence="Apache-2.0 (MLCommons reference checkpoint)",
        ),
        Artifact(
            name="manifest",
            path="librispeech/dev-clean-wav.json",
            md5="f185f584928dd329c1ab254c617a0e21",
            size=1429227,
            sources=(
                f"{_F9}/retired_benchmarks/speech_recognition/rnnt/dev-clean-wav.json",
                "https://raw.githubusercontent.com/mlcommons/inference/v4.0/speech_recognition/rnnt/dev-clean-wav.json",
            ),
            licence="Apache-2.0 (mlcommons/inference)",
        ),
        Artifact(
            name="librispeech",
            path="librispeech/dev-clean.tar.gz",
            md5="42e2234ba48799c1f50f24a7926300a1",
            sources=("https://www.openslr.org/resources/12/dev-clean.tar.gz",
                     "http://www.openslr.org/resources/12/dev-clean.tar.gz"),
            licence="CC BY 4.0 (LibriSpeech)",
            unpack="librispeech/dataset",
        ),
    ),
    notes=(
        "The checkpoint has no published checksum: its size is checked, and it loads with "
        "torch.load(weights_only=True) into a module built here.",
        "FLAC is converted to 16-bit WAV with soundfile (no sox); the samples are unchanged.",
    ),
)
