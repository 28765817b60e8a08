"""A tiny offline Mixtral fixture: a generated 15k-style pickle (GSM8K, OpenOrca and Python MBXP
rows), a sentencepiece BPE tokenizer with byte fallback trained on it (language.llm.demo_tokenizer:
<unk> 0, <s> 1, </s> 2 as Mixtral's; ``tok_input`` holds its ids), a random 2-layer
MixtralForCausalLM (hidden 64, 4 experts; its EOS output row scaled up so that generations end
early) and a punkt_tab.zip with an untrained English model. Weights are random: the numbers it
yields are no accuracy claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest
from language.llm.demo_tokenizer import BOS, EOS, write_tokenizer
from language.llm.sentences import write_blank_punkt

VOCAB_SIZE = 400
WORDS = ("the train leaves at noon and carries forty people . a farmer sells eggs for three dollars each . "
         "write a function that returns the sum of a list . the answer is 42 . def return if for in range "
         "len ( ) : + - * = , numbers total apples price python code block").split()
EOS_SCALE = 3.0
MBXP_TEST = "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n"


def _text(rng, n: int) -> str:
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), n))


def rows(count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        kind = ("GSM8K", "OpenOrca", "MBXP")[k % 3]
        question = _text(rng, int(rng.integers(4, 12)))
        gt = {"GSM8K": str(int(rng.integers(1, 100))), "OpenOrca": _text(rng, int(rng.integers(5, 15))) + ".",
              "MBXP": MBXP_TEST}[kind]
        ident = {"GSM8K": f"train.{k}", "OpenOrca": f"flan.{k}", "MBXP": f"python_sum_list_{k}"}[kind]
        out.append({"dataset": kind, "id": ident, "question": question, "input": f"<s>[INST] {question} [/INST]",
                    "gt_output": gt, "stop_sequence": "</s>", "tok_stop_sequence": [2]})
    return out


def write_model(folder: Path, vocab: int, seed: int) -> None:
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(seed)
    config = MixtralConfig(vocab_size=vocab, hidden_size=64, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2,
                           max_position_embeddings=2048, bos_token_id=BOS, eos_token_id=EOS)
    model = MixtralForCausalLM(config).eval()
    with torch.no_grad():  # a larger EOS row ends random generations early: fixture runs stay short
        model.lm_head.weight[config.eos_token_id] *= EOS_SCALE
    model.save_pretrained(str(folder))


def write_pickle(path: Path, records: list[dict], processor) -> None:
    """The 15k pickle's columns; ``tok_input`` is BOS for the prompt's literal "<s>", then sentencepiece's ids."""
    import pandas as pd

    for r in records:
        r["tok_input"] = [BOS] + processor.encode(r["input"][len("<s>"):])
        r["tok_input_len"] = len(r["tok_input"])
    pd.DataFrame(records).to_pickle(path)


def build(folder, count: int = 6, seed: int = 0) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records = rows(count, seed)
    corpus = [r["input"] + " " + r["gt_output"] for r in records] + [" ".join(WORDS)]
    processor = write_tokenizer(folder / "model", corpus, VOCAB_SIZE, legacy=True)
    write_model(folder / "model", processor.get_piece_size(), seed)
    write_pickle(folder / "mixtral_15k.pkl", records, processor)
    write_blank_punkt(folder / "punkt_tab.zip")
    digest = {name: file_digest(folder / name, "sha256") for name in ("mixtral_15k.pkl", "punkt_tab.zip")}
    manifest = {"demo": True, "count": count,
                "note": "random 2-layer Mixtral on generated prompts: the pipeline runs, the scores mean nothing",
                "artifacts": {"dataset": {"path": "mixtral_15k.pkl", "sha256": digest["mixtral_15k.pkl"]},
                              "model": {"path": "model"},
                              "punkt": {"path": "punkt_tab.zip", "sha256": digest["punkt_tab.zip"]}}}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path
