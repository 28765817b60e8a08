"""Image generation as the reference SUT does it (text_to_image/backend_pytorch.py, coco.py).

Each caption and the fixed negative prompt go through both CLIP tokenizers (max_length
padding, truncation at the tokenizer's length); each text encoder's penultimate hidden states
are concatenated and the pooled embedding is the second encoder's projection. The pipeline runs
with those embeddings, guidance 8.0, 20 Euler steps from the checkpoint's scheduler, the fixed
latent for every prompt and output_type "pt"; images become HWC uint8 by x255 and numpy's
round-half-even.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NEGATIVE_PROMPT = "normal quality, low quality, worst quality, low res, blurry, nsfw, nude"
GUIDANCE = 8.0
STEPS = 20
NEGATIVE_MAX_LENGTH = 77


def load_pipeline(model_dir, dtype, device):
    """``<model>/checkpoint_pipe`` with the scheduler of ``<model>/checkpoint_scheduler/scheduler``."""
    import torch
    import transformers
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()  # loading bars would flood console.log
    transformers.utils.logging.disable_progress_bar()
    model_dir = Path(model_dir)
    scheduler = EulerDiscreteScheduler.from_pretrained(str(model_dir / "checkpoint_scheduler"), subfolder="scheduler")
    pipe = StableDiffusionXLPipeline.from_pretrained(
        str(model_dir / "checkpoint_pipe"), scheduler=scheduler, add_watermarker=False,
        variant="fp16" if dtype == torch.float16 else None, dtype=dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


class Generator:
    def __init__(self, pipe, latent: np.ndarray, dtype, device):
        import torch

        self.torch, self.pipe, self.device = torch, pipe, device
        expected = pipe.unet.config.sample_size
        if latent.shape[-2:] != (expected, expected):
            raise ValueError(f"the fixed latent is {latent.shape[-2:]} but the UNet expects {expected}x{expected}")
        self.latent = torch.from_numpy(latent).to(dtype).to(device)
        self.negative = [self._tokens(tok, NEGATIVE_PROMPT, NEGATIVE_MAX_LENGTH) for tok in self._tokenizers()]

    def _tokenizers(self):
        return [self.pipe.tokenizer, self.pipe.tokenizer_2]

    def _tokens(self, tokenizer, texts, max_length=None):
        return tokenizer(texts, padding="max_length", max_length=max_length or tokenizer.model_max_length,
                         truncation=True, return_tensors="pt").input_ids

    def _encode(self, token_ids: list):
        """(penultimate hidden states of both encoders side by side, pooled projection of the second)."""
        hidden, pooled = [], None
        for ids, encoder in zip(token_ids, (self.pipe.text_encoder, self.pipe.text_encoder_2)):
            out = encoder(ids.to(self.device), output_hidden_states=True)
            pooled = out[0]
            hidden.append(out.hidden_states[-2])
        dtype = self.pipe.text_encoder_2.dtype
        return self.torch.concat(hidden, dim=-1).to(dtype=dtype, device=self.device), pooled

    def __call__(self, captions: list[str]) -> np.ndarray:
        """(batch, H, W, 3) uint8 images for the captions."""
        torch, n = self.torch, len(captions)
        with torch.no_grad():
            prompt, pooled = self._encode([self._tokens(tok, captions) for tok in self._tokenizers()])
            negative, negative_pooled = self._encode([ids.repeat(n, 1) for ids in self.negative])
            images = self.pipe(prompt_embeds=prompt, negative_prompt_embeds=negative, pooled_prompt_embeds=pooled,
                               negative_pooled_prompt_embeds=negative_pooled, guidance_scale=GUIDANCE,
                               num_inference_steps=STEPS, output_type="pt",
                               latents=self.latent.repeat(n, 1, 1, 1)).images
        pixels = images.cpu().permute(0, 2, 3, 1).float().numpy() * 255
        return pixels.round().astype(np.uint8)
