"""Declaration of ResNet50-v1.5 (ImageNet 2012 validation, top-1 accuracy)."""

from harness.declaration import Artifact, Benchmark, Target

_IMAGENET_TERMS = (
    "the ImageNet validation images are licensed and cannot be fetched for you. Register at "
    "https://image-net.org/, accept the terms of access, download ILSVRC2012_img_val.tar "
    "(6,744,924,160 bytes, md5 29b22e2961454d5413ddabcf34fc5622) and put it at {path} "
    "(the harness verifies and unpacks it), or unpack it yourself into the folder val/ beside it."
)

BENCHMARK = Benchmark(
    id="resnet50",
    aliases=("resnet", "resnet50-v1.5"),
    loadgen_model="resnet50",
    domain="vision",
    dataset="vision.resnet50.dataset:ImagenetDataset",
    backend="vision.resnet50.backend:ReferenceBackend",
    codec="harness.codecs:FLOAT32",
    metric="vision.resnet50.metric:score",
    accuracy_command="vision.resnet50.accuracy:main",
    demo="vision.resnet50.demo:build",
    diff="vision.resnet50.diff:compare_outputs",
    targets={"resnet": (Target("acc", 76.46, 0.99),)},
    primary="resnet",
    total_count=50000,
    performance_count=1024,
    default_batch_size=32,
    max_response_bytes=8,  # one class index (float32, or int64 in upstream's --dtype)
    artifacts=(
        Artifact(
            name="weights",
            path="models/resnet50/resnet50-19c8e357.pth",
            md5="9e9c86b324d80e65229fab49b8d9a8e8",
            sources=(
                "https://zenodo.org/record/4588417/files/resnet50-19c8e357.pth",
                "https://download.pytorch.org/models/resnet50-19c8e357.pth",
            ),
            licence="BSD-3-Clause (torchvision)",
        ),
        Artifact(
            name="val_map",
            path="imagenet/caffe_ilsvrc12.tar.gz",
            sha256="e35c0c1994a21f7d8ed49d01881ce17ab766743d3b0372cdc0183ff4d0dfc491",
            sources=("http://dl.caffe.berkeleyvision.org/caffe_ilsvrc12.tar.gz",),
            member=("val.txt", "imagenet/val_map.txt"),
        ),
        Artifact(
            name="images",
            path="imagenet/ILSVRC2012_img_val.tar",
            md5="29b22e2961454d5413ddabcf34fc5622",
            size=6744924160,
            manual=_IMAGENET_TERMS,
            licence="ImageNet terms of access (non-commercial research)",
            unpack="imagenet/val",
        ),
    ),
    notes=(
        "A missing image stops the run; upstream skipped it and shifted later labels.",
        "Weights load with torch.load(weights_only=True) into a module built here; no pickled module.",
    ),
)
