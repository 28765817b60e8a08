"""transformers' BertForQuestionAnswering from bert_config.json, with the checkpoint's tensors.

The config supplies the 11 values the reference passes to BertConfig. Attention runs the eager
(matmul + softmax) path the reference ran (transformers 4.35 had no other for BERT). The weights
are a plain state dict, read with ``weights_only=True`` (no code runs). The reference loaded them
with ``strict=False``, which hides a wrong checkpoint; here every parameter the model has must be
in the file, and the only extra tensors allowed are those the model does not use (the pooler of
older transformers versions and the position-id buffer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CONFIG_KEYS = ("attention_probs_dropout_prob", "hidden_act", "hidden_dropout_prob", "hidden_size",
               "initializer_range", "intermediate_size", "max_position_embeddings",
               "num_attention_heads", "num_hidden_layers", "type_vocab_size", "vocab_size")
UNUSED_KEYS = re.compile(r"bert\.pooler\..*|bert\.embeddings\.position_ids")


def read_config(path) -> dict:
    values = json.loads(Path(path).read_text())
    missing = [k for k in CONFIG_KEYS if k not in values]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)} (a BERT config has {len(CONFIG_KEYS)} keys)")
    return {k: values[k] for k in CONFIG_KEYS}


def build(config_path):
    """The model with random weights (the demo saves one of these)."""
    from transformers import BertConfig, BertForQuestionAnswering

    config = BertConfig(**read_config(config_path), attn_implementation="eager")
    return BertForQuestionAnswering(config).eval()


def load(config_path, weights_path):
    import torch

    model = build(config_path)
    state = torch.load(str(weights_path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{weights_path} is not a state dict (found {type(state).__name__})")
    extra = [k for k in state if k not in model.state_dict() and not UNUSED_KEYS.fullmatch(k)]
    missing = [k for k in model.state_dict() if k not in state]
    if extra or missing:
        raise ValueError(f"{weights_path} does not fit the config {config_path}: "
                         f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                         f"unexpected {extra[:3]}{'...' if len(extra) > 3 else ''}")
    model.load_state_dict({k: v for k, v in state.items() if k in model.state_dict()})
    return model
