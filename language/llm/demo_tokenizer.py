"""A small Llama-style sentencepiece tokenizer for the Llama-2 and Mixtral demos.

Trained here with sentencepiece itself, as Llama's is made: BPE with byte fallback, unk 0 / bos 1 /
eos 2, digits split, whitespace kept as is; written into the checkpoint folder as
``tokenizer.model`` with the tokenizer_config.json and special_tokens_map.json a Llama checkpoint
has, so the scorers decode it exactly as they decode the real one
(language.llm.tokenizers.SentencePieceDecoder). Training is single-threaded on the given corpus, so
the same corpus gives the same model.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

UNK, BOS, EOS = 0, 1, 2
SPECIALS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}


def _added_token(text: str) -> dict:
    return {"content": text, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}


def write_tokenizer(folder: Path, corpus: list[str], vocab_size: int, legacy: bool):
    """Train on ``corpus``, write the files into ``folder`` and return the SentencePieceProcessor.

    ``legacy=False`` writes the json files as Llama-2's checkpoint has them (AddedToken dicts),
    ``legacy=True`` as Mixtral's (plain strings)."""
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=model, vocab_size=vocab_size, hard_vocab_limit=False,
        model_type="bpe", byte_fallback=True, character_coverage=1.0, unk_id=UNK, bos_id=BOS, eos_id=EOS,
        pad_id=-1, split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", allow_whitespace_only_pieces=True, num_threads=1, minloglevel=2)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.model").write_bytes(model.getvalue())
    tokens = {key: text if legacy else _added_token(text) for key, text in SPECIALS.items()}
    config = {"add_bos_token": True, "add_eos_token": False, **tokens, "clean_up_tokenization_spaces": False,
              "legacy": legacy, "model_max_length": 1000000000000000019884624838656, "pad_token": None,
              "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(tokens, indent=2) + "\n")
    return sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
