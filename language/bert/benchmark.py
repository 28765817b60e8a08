"""Declaration of BERT-Large on SQuAD v1.1 (10,833 features from 10,570 questions; F1 and EM)."""

from harness.declaration import Artifact, Benchmark, Target

_ZENODO = "https://zenodo.org/record/3733896/files/"
_REFERENCE_REPO = ("https://raw.githubusercontent.com/mlcommons/inference/"
                   "f9a643c0a0e920588da1b51a1d822e1071a9dbec/language/bert/")

BENCHMARK = Benchmark(
    id="bert",
    aliases=(),
    loadgen_model="bert",
    domain="language",
    dataset="language.bert.dataset:SquadDataset",
    backend="language.bert.backend:ReferenceBackend",
    codec="language.bert.codec:LOGITS",
    metric="language.bert.metric:score",
    accuracy_command="language.bert.accuracy:main",
    demo="language.bert.demo:build",
    diff="language.bert.diff:compare_outputs",
    # Both checker classes are judged and shown; bert-99 sets the exit code.
    targets={
        "bert-99": (Target("F1", 90.874, 0.99),),
        "bert-99.9": (Target("F1", 90.874, 0.999),),
    },
    primary="bert-99",
    total_count=10833,  # features (questions split by the doc stride), as LoadGen counts samples
    performance_count=10833,
    default_batch_size=32,
    artifacts=(
        Artifact(
            name="dataset",
            path="squad/dev-v1.1.json",
            md5="3e85deb501d4e538b6bc56f786231552",
            size=4854279,
            sources=(
                "https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json",
                "https://github.com/rajpurkar/SQuAD-explorer/blob/master/dataset/dev-v1.1.json?raw=true",
            ),
            licence="CC BY-SA 4.0 (SQuAD)",
        ),
        Artifact(
            name="vocab",
            path="models/bert/vocab.txt",
            md5="64800d5d8528ce344256daf115d4965e",
            size=231508,
            sources=(_ZENODO + "vocab.txt?download=1",),
            licence="Apache-2.0 (Google BERT uncased vocabulary)",
        ),
        Artifact(
            name="weights",
            path="models/bert/model.pytorch",
            md5="00fbcbfaebfa20d87ac9885120a6e9b4",
            sources=(_ZENODO + "model.pytorch?download=1",),
            licence="as stated on Zenodo record 3733896 (MLCommons BERT-Large SQuAD v1.1 fp32)",
        ),
        Artifact(
            name="config",
            path="models/bert/bert_config.json",
            sha256="bfa42236d269e2aeb3a6d30412a33d15dbe8ea597e2b01dc9518c63cc6efafcb",
            size=314,
            sources=(_REFERENCE_REPO + "bert_config.json",),
            licence="Apache-2.0 (mlcommons/inference)",
        ),
    ),
    notes=(
        "A partial run (N_COUNT below 10833 features) scores only the questions whose features all "
        "ran, and divides by their number; upstream divided by questions it never scored.",
        "Weights load with torch.load(weights_only=True); a missing weight stops the run "
        "(upstream's strict=False ignored it).",
    ),
)
