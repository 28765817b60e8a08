"""Declaration of DLRM-v2 (DCNv2 on multi-hot Criteo day 23, ROC AUC over 89,137,319 pairs)."""

from harness.declaration import Artifact, Benchmark, Option, Target

# Public read-only key pair of the MLCommons R2 bucket, as printed in the reference README (v4.1).
_RCLONE_CONFIG = (
    "rclone config create mlc-inference s3 provider=Cloudflare access_key_id=f65ba5eef400db161ea49967de89f47b "
    "secret_access_key=fbea333914c292b854f14d3fe232bad6c5407bf0ab1bebf78833c2b359bdfd2b "
    "endpoint=https://c2686074cb2caf5cbaf6d134bdba8b47.r2.cloudflarestorage.com")


def _dataset_step(name: str, size: str, md5: str) -> str:
    return (f"{name} ({size}) is served by the MLCommons Cloudflare R2 bucket, read with rclone "
            f"(https://rclone.org/install/): '{_RCLONE_CONFIG}', then "
            f"'rclone copy mlc-inference:mlcommons-inference-wg-public/dlrm_preprocessed/{name} "
            "\"$(dirname {path})\" -P' (or copy the whole dlrm_preprocessed folder, ~152 GB, into that folder). "
            f"Expected place: {{path}}; the harness checks its md5 ({md5}).")


def _data_file(name: str, file: str, size: str, md5: str) -> Artifact:
    return Artifact(name=name, path=f"criteo/{file}", md5=md5, manual=_dataset_step(file, size, md5),
                    licence="CC BY-NC-SA 4.0 (Criteo 1TB Click Logs)")


BENCHMARK = Benchmark(
    id="dlrm_v2",
    aliases=("dlrm-v2", "dlrm-v2-99", "dlrm-v2-99.9"),
    loadgen_model="dlrm-v2",  # the reference passes its model path here by mistake
    domain="recommendation",
    dataset="recommendation.dlrm_v2.dataset:MultihotCriteoDataset",
    backend="recommendation.dlrm_v2.backend:ReferenceBackend",
    codec="harness.codecs:FLOAT32",
    metric="recommendation.dlrm_v2.metric:score",
    accuracy_command="recommendation.dlrm_v2.accuracy:main",
    demo="recommendation.dlrm_v2.demo:build",
    diff="recommendation.dlrm_v2.diff:compare_outputs",
    gpu_sized=True,  # days on a CPU: DEVICE=auto without a usable GPU stops
    targets={"dlrm-v2-99": (Target("AUC", 80.31, 0.99),), "dlrm-v2-99.9": (Target("AUC", 80.31, 0.999),)},
    primary="dlrm-v2-99",
    total_count=330067,
    performance_count=204800,
    data_types=("float32",),
    default_batch_size=64,  # aggregated samples per forward pass (~17,000 rows)
    artifacts=(
        _data_file("dense", "day_23_dense.npy", "about 8.7 GB", "cdf7af87cbc7e9b468c0be46b1767601"),
        _data_file("labels", "day_23_labels.npy", "about 681 MB", "dd68f93301812026ed6f58dfb0757fa7"),
        _data_file("sparse", "day_23_sparse_multi_hot.npz", "about 143 GB, an uncompressed zip",
                   "c46b7e31ec6f2f8768fa60bdfc0f6e40"),
        Artifact(
            name="weights",
            path="models/dlrm_v2/model_weights.tar",  # never fetched: the folder below is filled by hand
            unpack="models/dlrm_v2/model_weights",
            contains=(".snapshot_metadata",),
            manual=("the reference weights (a torchsnapshot folder, 97.31 GB, no published checksum) are served by "
                    "the MLCommons Cloudflare R2 bucket, read with rclone (https://rclone.org/install/): "
                    f"'{_RCLONE_CONFIG}', then 'rclone copy mlc-inference:mlcommons-inference-wg-public/model_weights "
                    "DATA_DIR/models/dlrm_v2/model_weights -P'. The folder must hold .snapshot_metadata and the "
                    "sharded/ (and batched/) subfolders."),
            licence="Apache-2.0 (MLCommons reference model)",
        ),
    ),
    options=(
        Option("DLRM_ENGINE", "recommendation.dlrm_v2.options:engine", "auto",
               "who holds the embedding tables: torchrec (DistributedModelParallel, fbgemm kernels), tables "
               "(our table-wise split, no torchrec) or auto (torchrec where it imports, else tables)"),
        Option("WORLD_SIZE", "recommendation.dlrm_v2.options:world_size", "1",
               "processes holding the embedding tables (with DEVICE=cuda:K rank r uses cuda:K+r)"),
        Option("DLRM_MEMORY_LIMIT", "recommendation.dlrm_v2.options:memory_limit", "",
               "free memory the pre-load check assumes per device, e.g. 200G (unset: measured)"),
    ),
    notes=(
        "A sample is a run of 100-700 consecutive rows (seed 123, the reference's quantile table); N_COUNT counts them.",
        "Responses are float32 [p, label] pairs; Offline queries are cut into BATCH_SIZE samples, each answered "
        "with its own pairs (the reference's queue runner answered later chunks with the first chunk's).",
        "The snapshot is read without torchsnapshot (and without torchrec's loaders); raw shards go straight "
        "into the tables of either engine.",
    ),
)
