"""Declaration of RetinaNet 800x800 (MLPerf OpenImages validation subset, COCO mAP)."""

from harness.declaration import Artifact, Benchmark, Target

_BUILD_DATASET = (
    "the MLPerf OpenImages subset is built from public Open Images V6 files, not downloaded as one "
    "archive. Run `python -m vision.retinanet.build_dataset --dataset-dir {path}` with the dataset folder "
    "two levels above this path (DATA_DIR/openimages): it fetches the two annotation CSVs and the "
    "24,781 validation images and writes annotations/openimages-mlperf.json. Or copy an existing "
    "upstream-built dataset there (annotations/openimages-mlperf.json, validation/data/<ImageID>.jpg)."
)

BENCHMARK = Benchmark(
    id="retinanet",
    aliases=(),
    loadgen_model="retinanet",
    domain="vision",
    dataset="vision.retinanet.dataset:OpenImagesDataset",
    backend="vision.retinanet.backend:ReferenceBackend",
    codec="vision.retinanet.codec:CODEC",
    metric="vision.retinanet.metric:score",
    accuracy_command="vision.retinanet.accuracy:main",
    demo="vision.retinanet.demo:build",
    diff="vision.retinanet.diff:compare_outputs",
    targets={"retinanet": (Target("mAP", 37.55, 0.99),)},
    primary="retinanet",
    total_count=24781,
    performance_count=64,
    default_batch_size=8,
    artifacts=(
        Artifact(
            name="weights",
            path="models/retinanet/resnext50_32x4d_fpn.pth",
            md5="a55f6bec3464f605ce8d686da8ac1533",
            size=149037280,
            sources=("https://zenodo.org/record/6617981/files/resnext50_32x4d_fpn.pth",),
            licence="as published by MLCommons on Zenodo (record 6617981)",
        ),
        Artifact(
            name="annotations",
            path="openimages/annotations/openimages-mlperf.json",
            manual=_BUILD_DATASET,
            licence="Open Images annotations: CC BY 4.0",
        ),
        Artifact(
            name="images",
            path="openimages/validation/data",
            unpack="openimages/validation/data",
            manual=_BUILD_DATASET,
            licence="Open Images images: CC BY 2.0 (as listed by Open Images)",
        ),
    ),
    notes=(
        "The TorchScript checkpoint is read without running its code: tensors only, into a model built here.",
        "Boxes are scaled in float64 when scoring, as upstream did under numpy 1.",
        "A missing image stops the run; upstream skipped it and shifted later indices.",
    ),
)
