"""A tiny SDXL set-up generated offline, for the demo and the tests.

Everything has the real layout and goes through the real loading code: a captions TSV (with a
CSV-quoted caption), a sample-ids file, a fixed latent made like the reference's (seed 0), an
SDXL pipeline built from small configs (two 2-layer CLIP text encoders, a small UNet with the
text_time embedding, a small VAE, the Euler scheduler) saved with ``save_pretrained`` into
``checkpoint_pipe/`` and ``checkpoint_scheduler/scheduler/``, hand-written CLIP tokenizer files
with a tiny byte-level BPE vocabulary, a small random CLIP with OpenAI's names, a narrow random
FID Inception, and a statistics file computed with it from generated "real" images. Weights are
random, so nothing here is an accuracy claim.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest

from . import coco

CAPTIONS = (
    "A city at night with people walking around.",
    'A man holding a red frisbee that says "Cheese Shop" on it.',
    "Two dogs &amp; a cat on a sofa, sleeping",
    "A café with crème brûlée on the menu",
    "  A   train   on a bridge\tover a river ",
    "a very long caption " + "with many repeated words " * 12,
    "Three zebras standing in a grassy field.",
    "A plate of food with broccoli and rice.",
)
SAMPLE_IDS = (5, 2, 11)  # 11 is beyond the fixture: never run, never saved
MERGES = (("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>"), ("i", "n"), ("o", "n</w>"), ("e", "r"),
          ("a", "t</w>"), ("o", "r"), ("e", "s</w>"))
LATENT_SIDE = 16  # UNet sample size: 32x32 images through the 2x VAE
CLIP_CONFIG = dict(embed_dim=32, image_size=64, patch_size=32, vision_width=64, vision_layers=2, context_length=77,
                   text_width=64, text_layers=2)
INCEPTION_WIDTH = 32  # channel divisor: 64 features


def write_vocabulary(folder: Path) -> Path:
    """A CLIP BPE vocabulary: open_clip's gz (header line + merges) and the transformers files."""
    from .clip_tokenizer import byte_alphabet

    folder.mkdir(parents=True, exist_ok=True)
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in MERGES]
    gz = folder / "bpe_tiny_vocab.txt.gz"
    gz.write_bytes(gzip.compress("\n".join(lines).encode("utf-8"), mtime=0))
    base = list(byte_alphabet().values())
    vocab = base + [c + "</w>" for c in base] + ["".join(m) for m in MERGES]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab + ["<|startoftext|>",
                                                                                    "<|endoftext|>"])}))
    (folder / "merges.txt").write_text("\n".join(lines) + "\n")
    return gz


def write_pipeline(folder: Path, tokenizer_dir: Path, seed: int) -> None:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=LATENT_SIDE, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80,
        cross_attention_dim=64)
    vae = AutoencoderKL(block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        sample_size=2 * LATENT_SIDE)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       steps_offset=1, timestep_spacing="leading")
    text = dict(bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37, layer_norm_eps=1e-05,
                num_attention_heads=4, num_hidden_layers=5, pad_token_id=1, vocab_size=1000, hidden_act="gelu",
                projection_dim=32)
    tokenizer = CLIPTokenizer(str(tokenizer_dir / "vocab.json"), str(tokenizer_dir / "merges.txt"),
                              model_max_length=77)
    pipe = StableDiffusionXLPipeline(
        vae=vae, text_encoder=CLIPTextModel(CLIPTextConfig(**text)), tokenizer=tokenizer,
        text_encoder_2=CLIPTextModelWithProjection(CLIPTextConfig(**text)), tokenizer_2=tokenizer,
        unet=unet, scheduler=scheduler)
    pipe.save_pretrained(str(folder / "checkpoint_pipe"))
    scheduler.save_pretrained(str(folder / "checkpoint_scheduler" / "scheduler"))


def write_clip(path: Path, vocab_size: int, seed: int) -> None:
    import torch

    from .clip_model import Clip, ClipConfig

    torch.manual_seed(seed)
    model = Clip(ClipConfig(vocab_size=vocab_size, **CLIP_CONFIG))
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_pre.weight", "ln_post.weight", "ln_final.weight")):
                tensor.fill_(1)
            elif name.endswith(".bias") and tensor.ndim == 1 and "ln_" in name:
                tensor.zero_()
            elif name != "attn_mask":
                tensor.normal_(0, 0.05 if tensor.ndim > 1 else 0.02)
    torch.save(model.state_dict(), path)


def real_images(count: int, side: int, seed: int) -> np.ndarray:
    """Smooth random colour fields standing in for COCO photographs."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, size=(count, 4, 4, 3))
    fine = coarse.repeat(side // 4, axis=1).repeat(side // 4, axis=2)
    return np.clip(fine + rng.normal(0, 20, fine.shape), 0, 255).astype(np.uint8)


def write_inception_and_statistics(folder: Path, side: int, seed: int) -> None:
    import torch

    from . import fid, inception

    torch.manual_seed(seed)
    net = inception.FidInception(inception.InceptionConfig(width=INCEPTION_WIDTH))
    images = real_images(96, side, seed)
    # A random network's activations fade layer after layer; batch-norm statistics taken on the
    # images keep every layer near unit scale, so the features vary from image to image.
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None
    with torch.no_grad():
        net.train()(torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255))
    net.eval()
    inception.save(net, folder / "inception_tiny.pt")
    collector = fid.FeatureCollector(net, batch_size=32)
    for image in images:
        collector.add(image)
    mu, sigma = fid.statistics(collector.features())
    np.savez_compressed(folder / "val2014_tiny.npz", mu=mu, sigma=sigma)


SCORING_FILES = {"captions": "captions/captions_source.tsv", "sample_ids": "sample_ids.txt",
                 "clip_weights": "clip_tiny.pt", "clip_vocab": "tokenizer/bpe_tiny_vocab.txt.gz",
                 "inception_weights": "inception_tiny.pt", "statistics": "val2014_tiny.npz"}
GENERATION_FILES = {"latents": "latents/latents.pt"}


def write_manifest(folder: Path, files: dict, demo: bool = True, model: bool = True) -> Path:
    """``manifest.json`` naming ``files`` (artifact name -> path in ``folder``) with their sha256."""
    artifacts = {name: {"path": rel, "sha256": file_digest(folder / rel, "sha256")} for name, rel in files.items()}
    if model:
        artifacts["model"] = {"path": "model"}
    manifest = {"demo": demo, "count": len(CAPTIONS), "note": "a tiny random SDXL pipeline, CLIP and Inception on "
                "made-up captions", "artifacts": artifacts}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def build_scoring(folder, seed: int = 0) -> Path:
    """Only what scoring needs (no diffusers): captions, sample ids, CLIP, Inception, statistics."""
    folder = Path(folder)
    (folder / "captions").mkdir(parents=True, exist_ok=True)
    coco.write_captions(folder / SCORING_FILES["captions"], list(CAPTIONS))
    (folder / SCORING_FILES["sample_ids"]).write_text("".join(f"{i}\n" for i in SAMPLE_IDS))
    write_vocabulary(folder / "tokenizer")
    write_clip(folder / SCORING_FILES["clip_weights"], 512 + len(MERGES) + 2, seed)
    write_inception_and_statistics(folder, 2 * LATENT_SIDE, seed)
    return write_manifest(folder, SCORING_FILES, model=False)


def build(folder, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    import torch

    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file() and "model" in json.loads(manifest.read_text())["artifacts"]:
        return manifest
    build_scoring(folder, seed)
    (folder / "latents").mkdir(exist_ok=True)
    latent = torch.randn((1, 4, LATENT_SIDE, LATENT_SIDE), generator=torch.Generator().manual_seed(0))
    torch.save(latent, folder / GENERATION_FILES["latents"])
    write_pipeline(folder / "model", folder / "tokenizer", seed)
    return write_manifest(folder, {**SCORING_FILES, **GENERATION_FILES})
