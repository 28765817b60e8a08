"""A tiny offline GPT-J fixture: generated news-like records, a byte-level BPE tokenizer trained on
them, a random 2-layer GPTJForCausalLM (n_embd 64), and a punkt_tab.zip with an untrained English
model (empty parameter files; it splits only at sentence punctuation). Weights are random: the
numbers it yields are no accuracy claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest
from language.llm.sentences import write_blank_punkt

from . import dataset

EOS = "<|endoftext|>"
WORDS = ("the city council said on monday that new rules for river traffic will start next year . officials "
         "expect fewer accidents , but fishermen are worried about costs . police arrested two men after a "
         "robbery in the market . the team won its third game in a row , and fans cheered in the streets . "
         "scientists found a rare bird near the lake . mr. brown , 54 , told reporters he was surprised .").split()


def _text(rng: np.random.Generator, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [WORDS[i] for i in rng.integers(0, len(WORDS), int(rng.integers(5, 16)))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def write_records(path: Path, count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    records = [{"instruction": "Summarize the following news article:", "input": _text(rng, int(rng.integers(3, 12))),
                "output": _text(rng, int(rng.integers(1, 4)))} for _ in range(count)]
    path.write_text(json.dumps(records, indent=4, ensure_ascii=False), encoding="utf-8")
    return records


def write_tokenizer(folder: Path, corpus: list[str]) -> None:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Tokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=400, special_tokens=[EOS], show_progress=False)
    folder.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(folder))
    GPT2Tokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), unk_token=EOS, bos_token=EOS,
                  eos_token=EOS).save_pretrained(str(folder))


def write_model(folder: Path, seed: int) -> None:
    import torch
    from transformers import AutoTokenizer, GPTJConfig, GPTJForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=False)
    torch.manual_seed(seed)
    config = GPTJConfig(vocab_size=len(tokenizer), n_positions=2048, n_embd=64, n_layer=2, n_head=4, rotary_dim=8,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    GPTJForCausalLM(config).eval().save_pretrained(str(folder))



def build(folder, count: int = 8, seed: int = 0) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records = write_records(folder / "cnn_eval.json", count, seed)
    template = dataset.PROMPT.format(instruction="", input="")
    corpus = [r["instruction"] + "\n" + r["input"] + "\n" + r["output"] for r in records] + [" ".join(WORDS), template]
    write_tokenizer(folder / "model", corpus)
    write_model(folder / "model", seed)
    write_blank_punkt(folder / "punkt_tab.zip")
    manifest = {"demo": True, "count": count,
                "note": "random 2-layer GPT-J on generated articles: the pipeline runs, the scores mean nothing",
                "artifacts": {"dataset": {"path": "cnn_eval.json", "sha256": file_digest(folder / "cnn_eval.json",
                                                                                          "sha256")},
                              "model": {"path": "model"},
                              "punkt": {"path": "punkt_tab.zip", "sha256": file_digest(folder / "punkt_tab.zip",
                                                                                        "sha256")}}}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path
