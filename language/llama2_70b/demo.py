"""A tiny offline Llama-2 fixture: generated chat records in a processed-OpenOrca pickle, a
sentencepiece BPE tokenizer with byte fallback trained on them (language.llm.demo_tokenizer: unk 0,
bos 1, eos 2; the pickle's token columns are its ids), a random 2-layer LlamaForCausalLM (hidden 64)
whose EOS logit is raised so most answers end within a few dozen tokens instead of running to 1024, and
a punkt_tab.zip with an untrained English model (it splits only at sentence punctuation). Weights
are random: the numbers it yields are no accuracy claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest
from language.llm.demo_tokenizer import BOS, EOS, write_tokenizer
from language.llm.sentences import write_blank_punkt

VOCAB_SIZE = 600
SYSTEM = "You are an AI assistant. User will give you a task. Your goal is to complete it as faithfully as you can."
WORDS = ("the city council said on monday that new rules for river traffic will start next year . officials "
         "expect fewer accidents , but fishermen are worried about costs . what is the capital of france ? "
         "answer the question step by step . the team won its third game in a row , and fans cheered . "
         "translate to german : good morning . mr. brown , 54 , told reporters he was surprised .").split()
EOS_BOOST = 2.5  # scale of the EOS row of lm_head: most random answers end early


def _text(rng: np.random.Generator, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [WORDS[i] for i in rng.integers(0, len(WORDS), int(rng.integers(4, 14)))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def chat_prompt(system: str, question: str) -> str:
    """The Llama-2 chat prompt the reference's processorca.py builds (literal "<s>" included)."""
    if system:
        return f"<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{question} [/INST]"
    return f"<s>[INST] {question} [/INST]"


def records(count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    origins = ("cot", "flan", "niv", "t0")
    return [{"id": f"{origins[i % 4]}.{i}", "system_prompt": SYSTEM if i % 2 else "",
             "question": _text(rng, int(rng.integers(1, 5))), "output": _text(rng, int(rng.integers(1, 4))),
             "origin": origins[i % 4]} for i in range(count)]


def write_model(folder: Path, vocab_size: int, seed: int) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=2048, bos_token_id=BOS, eos_token_id=EOS,
                         pad_token_id=0, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        model.lm_head.weight[EOS] *= EOS_BOOST
    model.save_pretrained(str(folder))


def write_pickle(path: Path, rows: list[dict], processor) -> None:
    """The processed-OpenOrca columns, tokenized with sentencepiece as the reference's LlamaTokenizer
    does: its BOS, then the literal "<s>" of the prompt as BOS too, and a final "▁" (29871 in the real
    vocabulary)."""
    import pandas as pd

    space = processor.piece_to_id("▁")
    for row in rows:
        row["input"] = chat_prompt(row["system_prompt"], row["question"])
        row["tok_input"] = [BOS, BOS] + processor.encode(row["input"][len("<s>"):]) + [space]
        row["tok_output"] = [BOS] + processor.encode(row["output"])
        row["tok_input_length"], row["tok_output_length"] = len(row["tok_input"]), len(row["tok_output"])
    columns = ["id", "system_prompt", "question", "output", "input", "tok_input", "tok_output", "origin",
               "tok_input_length", "tok_output_length"]
    pd.DataFrame(rows, columns=columns).to_pickle(path)


def build(folder, count: int = 8, seed: int = 0) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = records(count, seed)
    corpus = [chat_prompt(SYSTEM, r["question"]) + " " + r["output"] for r in rows] + [" ".join(WORDS)]
    processor = write_tokenizer(folder / "model", corpus, VOCAB_SIZE, legacy=False)
    write_model(folder / "model", processor.get_piece_size(), seed)
    write_pickle(folder / "open_orca.pkl", rows, processor)
    write_blank_punkt(folder / "punkt_tab.zip")
    manifest = {"demo": True, "count": count,
                "note": "generated records and a random tiny Llama model: the scores mean nothing",
                "artifacts": {"dataset": {"path": "open_orca.pkl", "sha256": file_digest(folder / "open_orca.pkl",
                                                                                          "sha256")},
                              "model": {"path": "model"},
                              "punkt": {"path": "punkt_tab.zip",
                                        "sha256": file_digest(folder / "punkt_tab.zip", "sha256")}}}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path
