"""Declaration of 3D-UNet on KiTS19 (43 inference cases, DICE of kidney and tumour)."""

from harness.declaration import Artifact, Benchmark, Target

_KITS19_STEPS = (
    "the KiTS19 CT volumes come from the challenge's own host and are not fetched by the harness "
    "(the imaging download covers all 300 cases, tens of GB). Run: git clone https://github.com/neheller/kits19 "
    "&& cd kits19 && pip install -r requirements.txt && python -m starter_code.get_imaging ; then copy or "
    "link its data/ folder so that data/case_00000/imaging.nii.gz and segmentation.nii.gz sit in the folder "
    "data/ beside {path} (or put a tar of the case_XXXXX folders at {path}; the harness unpacks it there). "
    "case_00400 needs no copy: it is read from case_00185."
)

BENCHMARK = Benchmark(
    id="unet3d",
    aliases=("3d-unet", "3d-unet-99", "3d-unet-99.9", "3dunet", "unet3d-kits19"),
    loadgen_model="3d-unet",
    domain="vision",
    dataset="vision.unet3d.dataset:KitsDataset",
    backend="vision.unet3d.backend:ReferenceBackend",
    codec="harness.codecs:UINT8",
    metric="vision.unet3d.metric:score",
    accuracy_command="vision.unet3d.accuracy:main",
    demo="vision.unet3d.demo:build",
    diff="vision.unet3d.diff:compare_outputs",
    targets={
        "3d-unet-99": (Target("DICE", 0.86170, 0.99),),
        "3d-unet-99.9": (Target("DICE", 0.86170, 0.999),),
    },
    primary="3d-unet-99",
    total_count=43,
    performance_count=43,
    scenarios=("Offline", "SingleStream"),
    default_batch_size=1,
    artifacts=(
        Artifact(
            name="weights",
            path="models/3d-unet/3dunet_kits19_pytorch_checkpoint.pth",
            md5="09c696e3ec13d83c628498bcd831eb5b",
            size=499153383,
            sources=("https://zenodo.org/record/5597155/files/3dunet_kits19_pytorch_checkpoint.pth?download=1",),
            licence="Apache-2.0 (MLCommons reference model)",
        ),
        Artifact(
            name="kits19",
            path="kits19/kits19-data.tar",
            manual=_KITS19_STEPS,
            licence="KiTS19 data terms (see the kits19 repository; not covered by its MIT code licence)",
            unpack="kits19/data",
        ),
    ),
    notes=(
        "BATCH_SIZE is the number of 128^3 windows per forward pass; the reference runs one.",
        "N_COUNT < 43 scores the first N cases and says the verdict is partial.",
    ),
)
