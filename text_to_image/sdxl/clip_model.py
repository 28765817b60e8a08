"""CLIP (OpenAI's ViT-B/32 by default) in plain PyTorch, with OpenAI's state-dict names.

The reference scores with ``open_clip.create_model_and_transforms('ViT-B/32', pretrained='openai')``;
open_clip needs torchvision, which does not load beside the project's torch, so the two towers
are written here: pre-LN transformer blocks with ``nn.MultiheadAttention``-style packed
projections and QuickGELU (as OpenAI trained them), the class token pooled after ``ln_post``
for images, the end token (the highest id) pooled after ``ln_final`` for text.

Sizes are read from the tensors' shapes, as open_clip does for OpenAI files, so a small
stand-in with the same names loads through the same code. The weights come from the TorchScript
archive ``ViT-B-32.pt`` (read without running its code) or from a ``torch.save`` state dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

HEAD_WIDTH = 64  # OpenAI CLIP: heads = width // 64 in both towers


@dataclass(frozen=True)
class ClipConfig:
    embed_dim: int = 512
    image_size: int = 224
    patch_size: int = 32
    vision_width: int = 768
    vision_layers: int = 12
    context_length: int = 77
    vocab_size: int = 49408
    text_width: int = 512
    text_layers: int = 12

    @classmethod
    def from_state_dict(cls, state: dict) -> "ClipConfig":
        def layers(prefix: str) -> int:
            return len({k.split(".")[len(prefix.split("."))] for k in state if k.startswith(prefix + ".")})

        patch = state["visual.conv1.weight"].shape[-1]
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        return cls(embed_dim=state["text_projection"].shape[1], image_size=patch * grid, patch_size=patch,
                   vision_width=state["visual.conv1.weight"].shape[0],
                   vision_layers=layers("visual.transformer.resblocks"),
                   context_length=state["positional_embedding"].shape[0],
                   vocab_size=state["token_embedding.weight"].shape[0], text_width=state["ln_final.weight"].shape[0],
                   text_layers=layers("transformer.resblocks"))


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    """Multi-head self-attention with ``nn.MultiheadAttention``'s parameter names."""

    def __init__(self, width: int):
        super().__init__()
        self.heads = width // HEAD_WIDTH
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask=None):  # x: (batch, tokens, width)
        b, n, w = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).split(w, dim=-1)
        q, k, v = (t.reshape(b, n, self.heads, w // self.heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(b, n, w))


class Mlp(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.gelu = QuickGELU()
        self.c_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = Mlp(width)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int):
        super().__init__()
        self.resblocks = nn.ModuleList(ResidualAttentionBlock(width) for _ in range(layers))

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, cfg: ClipConfig):
        super().__init__()
        width, grid = cfg.vision_width, cfg.image_size // cfg.patch_size
        self.conv1 = nn.Conv2d(3, width, cfg.patch_size, stride=cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(width))
        self.positional_embedding = nn.Parameter(torch.empty(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, cfg.vision_layers)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.empty(width, cfg.embed_dim))

    def forward(self, images):
        x = self.conv1(images).flatten(2).transpose(1, 2)  # (batch, patches, width)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype))
        x = self.transformer(x)
        return self.ln_post(x[:, 0]) @ self.proj


class Clip(nn.Module):
    def __init__(self, cfg: ClipConfig = ClipConfig()):
        super().__init__()
        self.cfg = cfg
        self.visual = VisionTransformer(cfg)
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.text_width)
        self.positional_embedding = nn.Parameter(torch.empty(cfg.context_length, cfg.text_width))
        self.transformer = Transformer(cfg.text_width, cfg.text_layers)
        self.ln_final = nn.LayerNorm(cfg.text_width)
        self.text_projection = nn.Parameter(torch.empty(cfg.text_width, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]))
        causal = torch.full((cfg.context_length, cfg.context_length), float("-inf")).triu_(1)
        self.register_buffer("attn_mask", causal, persistent=False)

    def encode_image(self, images):
        return self.visual(images)

    def encode_text(self, tokens):
        x = self.token_embedding(tokens) + self.positional_embedding
        x = self.ln_final(self.transformer(x, self.attn_mask))
        return x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)] @ self.text_projection


def _through_half(name: str) -> bool:
    """The tensors open_clip holds in float16 while it loads an OpenAI file (conv/linear weights
    and biases, packed attention projections, the two output projections); other tensors stay float32."""
    leaf = name.rsplit(".", 1)[-1]
    if name in ("text_projection", "visual.proj") or leaf.startswith("in_proj_"):
        return True
    return (".mlp." in name or ".out_proj." in name or name.startswith("visual.conv1.")) and leaf in ("weight", "bias")


def load(path, device="cpu") -> Clip:
    """The model of an OpenAI CLIP file (TorchScript archive or state dict), in float32, eval mode.

    Tensors that open_clip's OpenAI loader passes through float16 are rounded the same way, so a
    file saved in float32 gives the reference's numbers; OpenAI's own file is float16 there already.
    """
    from harness.torchscript import read_weights

    tensors, _ = read_weights(Path(path))
    model = Clip(ClipConfig.from_state_dict(tensors))
    wanted = set(model.state_dict())
    state = {k: (v.half() if _through_half(k) else v).float() for k, v in tensors.items() if k in wanted}
    missing = wanted - set(state)
    if missing:
        raise ValueError(f"{path} is not an OpenAI CLIP file: {len(missing)} tensors missing, "
                         f"e.g. {sorted(missing)[:3]}")
    model.load_state_dict(state, strict=True)
    return model.eval().to(device)
