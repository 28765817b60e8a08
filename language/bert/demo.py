"""A tiny SQuAD-format set, a WordPiece vocab trained on it, and a small random BERT, offline.

The text is generated from a seeded mix of invented words and a few real ones with accents,
digits, hyphens and possessives (so the answer projection has work to do). The last paragraph
is long enough that each of its questions yields several features through the doc stride.
Answers are spans of their context with correct character offsets. Nothing here is an accuracy
claim: the weights are random.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.hashing import file_digest

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # [PAD] must be id 0
SYLLABLES = ("ka", "lo", "mi", "ra", "sen", "tor", "vel", "un", "dar", "is", "pe", "qua", "no", "bri", "st")
EXTRA_WORDS = ("the", "a", "of", "in", "river's", "Café", "Zürich", "naïve", "1895", "(1943)", "north-east",
               "U.S.", "42%", "don't", "Tower", "Smith's")
QUESTION_WORDS = ("What", "Who", "When", "Where", "Which", "How many")
MODEL_SIZE = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}


def _words(rng: np.random.Generator, count: int) -> list[str]:
    made = []
    for _ in range(count):
        if rng.random() < 0.2:
            made.append(str(rng.choice(EXTRA_WORDS)))
            continue
        word = "".join(rng.choice(SYLLABLES, size=int(rng.integers(1, 4))))
        made.append(word.capitalize() if rng.random() < 0.15 else word)
    return made


def paragraph(rng: np.random.Generator, n_words: int) -> str:
    words = _words(rng, n_words)
    for i in range(7, len(words), int(rng.integers(6, 12))):
        words[i] += "." if rng.random() < 0.6 else ","
    return " ".join(words) + "."


def question(rng: np.random.Generator, context: str, qid: str) -> dict:
    """A question whose answer is 1-3 words of ``context`` (which is single-space separated)."""
    words = context.split(" ")
    first = int(rng.integers(0, len(words) - 3))
    length = int(rng.integers(1, 4))
    start = len(" ".join(words[:first])) + (1 if first else 0)
    text = " ".join(words[first:first + length]).rstrip(".,")
    asked = f"{rng.choice(QUESTION_WORDS)} {' '.join(_words(rng, int(rng.integers(3, 8))))}?"
    return {"id": qid, "question": asked, "answers": [{"answer_start": start, "text": text}]}


def write_dataset(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    layout = [("Alpha", [60, 45]), ("Beta", [70]), ("Gamma", [480])]  # words per paragraph
    data, n = [], 0
    for title, sizes in layout:
        paragraphs = []
        for n_words in sizes:
            context = paragraph(rng, n_words)
            qas = []
            for _ in range(3):
                qas.append(question(rng, context, f"{n:024x}"))
                n += 1
            paragraphs.append({"context": context, "qas": qas})
        data.append({"title": title, "paragraphs": paragraphs})
    path.write_text(json.dumps({"version": "1.1", "data": data}, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def write_vocab(folder: Path, dataset: Path, vocab_size: int = 400) -> Path:
    """A lower-case WordPiece vocab trained on the fixture's own text (contexts and questions)."""
    from tokenizers import BertWordPieceTokenizer

    data = json.loads(dataset.read_text(encoding="utf-8"))
    corpus = folder / "corpus.txt"
    lines = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    lines += [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trainer = BertWordPieceTokenizer(lowercase=True)
    trainer.train([str(corpus)], vocab_size=vocab_size, min_frequency=1, special_tokens=SPECIAL_TOKENS,
                  show_progress=False)
    trainer.save_model(str(folder))
    corpus.unlink()
    return folder / "vocab.txt"


def write_model(folder: Path, vocab: Path, seed: int) -> None:
    import torch

    from .model import build

    n_vocab = len(vocab.read_text(encoding="utf-8").splitlines())
    config = {"attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
              "initializer_range": 0.02, "max_position_embeddings": 512, "type_vocab_size": 2,
              "vocab_size": n_vocab, **MODEL_SIZE}
    (folder / "bert_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    torch.manual_seed(seed)
    torch.save(build(folder / "bert_config.json").state_dict(), folder / "model.pytorch")


def count_features(dataset: Path, vocab: Path) -> int:
    from .features import convert
    from .squad import read_examples
    from .tokenization import wordpiece_tokenizer

    return len(convert(read_examples(dataset)[1], wordpiece_tokenizer(vocab)))



def write_manifest(folder: Path) -> Path:
    names = {"dataset": "dev-v1.1.json", "vocab": "vocab.txt", "weights": "model.pytorch",
             "config": "bert_config.json"}
    manifest = {
        "demo": True,
        "count": count_features(folder / names["dataset"], folder / names["vocab"]),
        "note": "random BERT weights on generated SQuAD-format text",
        "artifacts": {k: {"path": v, "sha256": file_digest(folder / v, "sha256")} for k, v in names.items()},
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def build(folder, seed: int = 0) -> Path:
    """Write the fixture into ``folder`` (idempotent) and return its manifest path."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return manifest
    folder.mkdir(parents=True, exist_ok=True)
    write_dataset(folder / "dev-v1.1.json", seed)
    vocab = write_vocab(folder, folder / "dev-v1.1.json")
    write_model(folder, vocab, seed)
    return write_manifest(folder)
