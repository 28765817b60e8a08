"""Declaration of Stable Diffusion XL on COCO 2014 captions (5,000; CLIP score and FID, both bounded)."""

from harness.declaration import Artifact, Benchmark, Target

_F9 = "https://raw.githubusercontent.com/mlcommons/inference/f9a643c0a0e920588da1b51a1d822e1071a9dbec"
_V41 = "https://raw.githubusercontent.com/mlcommons/inference/379ee5345a25ee123fd5faec33285b6e8be0dadf"  # tag v4.1
_OPEN_CLIP_WHEEL = ("https://files.pythonhosted.org/packages/7f/80/77b44d0a3c08e2c64fed22f4f0b9049bdf6fddcadbce57453c7"
                    "06c549d65/open_clip_torch-2.7.0-py3-none-any.whl")
_CLIP_SHA256 = "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"

BENCHMARK = Benchmark(
    id="sdxl",
    aliases=("stablediffusion", "stable-diffusion-xl"),  # the id "sdxl" is a name too
    loadgen_model="stable-diffusion-xl",
    domain="text_to_image",
    dataset="text_to_image.sdxl.dataset:CocoCaptions",
    backend="text_to_image.sdxl.backend:ReferenceBackend",
    codec="harness.codecs:UINT8",
    metric="text_to_image.sdxl.metric:score",
    accuracy_command="text_to_image.sdxl.accuracy:main",
    demo="text_to_image.sdxl.demo:build",
    diff="text_to_image.sdxl.diff:compare_outputs",
    gpu_sized=True,  # days on a CPU: DEVICE=auto without a usable GPU stops
    # The checker states both windows as absolute numbers (reference +-0.2 % for CLIP, +-2 % for FID).
    targets={"stable-diffusion-xl": (
        Target("CLIP_SCORE", 31.7498184, lower=31.68631873, upper=31.81331801),
        Target("FID_SCORE", 23.4804669, lower=23.01085758, upper=23.95007626),
    )},
    primary="stable-diffusion-xl",
    total_count=5000,
    performance_count=5000,
    default_batch_size=1,  # the reference's --max-batchsize
    artifacts=(
        Artifact(
            name="captions",
            path="coco2014/captions/captions_source.tsv",
            md5="24ba91c1e0fc04e70895385b4a57dca1",
            sha256="0f646c63b1266af2120c5621b8f769157ed49963dd8497d863356ef141b5e757",
            size=862324,
            sources=(f"{_F9}/text_to_image/coco2014/captions/captions_source.tsv",),
            licence="CC BY 4.0 (COCO annotations), as committed in mlcommons/inference",
        ),
        Artifact(
            name="latents",
            path="coco2014/latents/latents.pt",
            md5="58f4165e574452b9ce6a1a32c2fb3908",
            sha256="43200e343fa1b32c4834bb7753e080a140ae90f38cd264fefb0fc873c1a6a50b",
            size=263324,
            sources=(f"{_F9}/text_to_image/tools/latents.pt",),
            licence="Apache-2.0 (mlcommons/inference)",
        ),
        Artifact(
            name="sample_ids",
            path="coco2014/sample_ids_v4.1.txt",
            sha256="d406ce22fab509d342ee9ccc6401f2bc1713fc6713182342e515b7330fd25e4c",
            size=48,
            sources=(f"{_V41}/text_to_image/tools/sample_ids.txt",),
            licence="Apache-2.0 (mlcommons/inference)",
        ),
        Artifact(
            name="model",
            path="models/sdxl/stable_diffusion_fp32.tar",  # or the folder below, filled by hand
            unpack="models/sdxl/stable_diffusion_fp32",
            contains=("checkpoint_pipe/model_index.json", "checkpoint_scheduler/scheduler/scheduler_config.json"),
            manual=("The MLCommons SDXL checkpoint (about 13 GB; fp16 about 6.5 GB) is in MLCommons' Cloudflare R2 "
                    "bucket. Install rclone, configure the read-only remote 'mlc-inference' with the "
                    "'rclone config create mlc-inference s3 provider=Cloudflare ...' line of the v4.1 README of "
                    "text_to_image (mlcommons/inference), then run 'rclone copy "
                    "mlc-inference:mlcommons-inference-wg-public/stable_diffusion_fp32 "
                    "DATA_DIR/models/sdxl/stable_diffusion_fp32 -P' so that the folder holds checkpoint_pipe/ and "
                    "checkpoint_scheduler/. For DATA_TYPE=float16 the fp16 copy "
                    "(mlcommons-inference-wg-public/stable_diffusion_fp16) can be put there instead."),
            licence="CreativeML Open RAIL++-M (stabilityai/stable-diffusion-xl-base-1.0)",
        ),
        Artifact(
            name="clip_weights",
            path="models/clip/ViT-B-32.pt",
            sha256=_CLIP_SHA256,
            sources=(f"https://openaipublic.azureedge.net/clip/models/{_CLIP_SHA256}/ViT-B-32.pt",),
            licence="MIT (openai/CLIP)",
        ),
        Artifact(
            name="clip_vocab",
            path="models/clip/open_clip_torch-2.7.0-py3-none-any.whl",
            sha256="a86abf63a9fbe70fdd8f251598a0df952e33cefc2fa077434d26ce9c10d905d0",
            size=1441736,
            sources=(_OPEN_CLIP_WHEEL,),
            member=("open_clip/bpe_simple_vocab_16e6.txt.gz", "models/clip/bpe_simple_vocab_16e6.txt.gz"),
            member_sha256="924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
            licence="MIT (open_clip; the vocabulary is OpenAI CLIP's)",
        ),
        Artifact(
            name="inception_weights",
            path="models/fid/pt_inception-2015-12-05-6726825d.pth",
            sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
            size=95628359,
            sources=("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                     "pt_inception-2015-12-05-6726825d.pth",),
            licence="Apache-2.0 (pytorch-fid; a port of TensorFlow's inception-2015-12-05)",
        ),
        Artifact(
            name="statistics",
            path="coco2014/val2014.npz",
            git_blob="806479d0693a33110526b6689aa26baddd995c7b",  # upstream's only checksum: its commit
            sources=(f"{_F9}/text_to_image/tools/val2014.npz",
                     "https://github.com/mlcommons/inference/raw/f9a643c0a0e920588da1b51a1d822e1071a9dbec/"
                     "text_to_image/tools/val2014.npz"),
            licence="Apache-2.0 (mlcommons/inference)",
        ),
    ),
    notes=(
        "Every prompt starts from the same fixed latent (latents.pt, seed 0), as the reference.",
        "DEVICE=cpu generates in float32 whatever DATA_TYPE says, as the seed's eval script did.",
        "FID over fewer than 5,000 images (N_COUNT < 5000) is not comparable with the target.",
    ),
)
