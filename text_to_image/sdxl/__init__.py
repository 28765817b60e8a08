"""Stable Diffusion XL on COCO 2014 captions (CLIP score and FID)."""
