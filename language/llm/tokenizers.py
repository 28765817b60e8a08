"""The LLM tokenizers: GPT-J's transformers tokenizer, and a Llama-2 / Mixtral decoder that matches the reference's.

Why: the reference scorers (llama2-70b and mixtral-8x7b ``evaluate-accuracy.py``, MLPerf Inference
v4.1) decode the logged ids with transformers 4.31's slow LlamaTokenizer, i.e. with sentencepiece.
transformers 5 decodes through the ``tokenizers`` library instead, and its byte-fallback step differs
where byte pieces do not form valid UTF-8: a run of byte pieces that is not valid as a whole becomes
one U+FFFD per byte, valid characters inside the run included ("€" + a stray 0x80 gives four U+FFFD
instead of "€\\ufffd"), and a leading space that came from a byte piece (<0x20>) is stripped. On a
30-sample Llama-2 log that moved ROUGE-1 from 59.5074 to 60.1561.

``SentencePieceDecoder`` reads the checkpoint's ``tokenizer.model`` with the ``sentencepiece``
package and applies the reference's ``batch_decode(ids, skip_special_tokens=True)`` rules:

* every id that is one of the tokenizer's special tokens is dropped, wherever it stands; which
  tokens are special is read from the checkpoint the way the slow tokenizer reads it (LlamaTokenizer's
  own unk/bos/eos, then tokenizer_config.json, then special_tokens_map.json);
* the remaining ids are decoded by sentencepiece in one piece, so a special id between byte pieces
  does not split their UTF-8 sequence, and sentencepiece alone decides the leading-space and
  invalid-byte handling (one U+FFFD per byte that does not belong to a valid sequence);
* the English clean-up of " ." / " n't" etc. runs only if tokenizer_config.json turns it on
  (LlamaTokenizer's default is off);
* an id outside the vocabulary raises IndexError, as the reference's does.

Checkpoints with tokens beyond the sentencepiece vocabulary (an added_tokens.json, or a special token
that is no sentencepiece piece) are refused: the reference decodes those through other rules.
"""

from __future__ import annotations

import json
from pathlib import Path

# the special-token attributes of a transformers tokenizer, in its order
SPECIAL_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
                      "additional_special_tokens")
# LlamaTokenizer's own defaults, before the checkpoint's files are read
LLAMA_DEFAULTS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": None}
LLAMA_CLASSES = ("LlamaTokenizer", "LlamaTokenizerFast")
# (before, after) of transformers' clean_up_tokenization, applied in this order
CLEAN_UP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def load_tokenizer(source):
    """A transformers tokenizer as the reference's GPT-J SUT and evaluator load it (slow class asked
    for, left padding, 2048 positions, pad = eos). ``source`` is a checkpoint folder or a Hub name;
    a Hub name is read from the local Hugging Face cache only, never downloaded. Llama-2 and Mixtral
    need none: their prompts are pre-tokenized and their scorers decode with SentencePieceDecoder."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source), model_max_length=2048, padding_side="left",
                                              use_fast=False, local_files_only=True)
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return value


def _content(value):
    """A special token's text: a string, or a serialized AddedToken (a dict with "content")."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and "content" in value:
        return value["content"]
    raise ValueError(f"unreadable special token {value!r}")


def special_tokens(folder) -> list[str]:
    """The special tokens' texts as the slow tokenizer ends up with them: LlamaTokenizer's defaults,
    overridden by tokenizer_config.json, then by special_tokens_map.json (unset ones left out)."""
    folder = Path(folder)
    config = _read_json(folder / "tokenizer_config.json")
    declared = config.get("tokenizer_class")
    if declared is not None and declared not in LLAMA_CLASSES:
        raise ValueError(f"{folder}: tokenizer_class {declared!r} is not a Llama tokenizer")
    values = dict(LLAMA_DEFAULTS)
    for source in (config, _read_json(folder / "special_tokens_map.json")):
        values.update({key: source[key] for key in SPECIAL_ATTRIBUTES if key in source})
    tokens = []
    for key in SPECIAL_ATTRIBUTES:
        value = values.get(key)
        items = value if isinstance(value, (list, tuple)) else [value]
        tokens.extend(text for text in map(_content, items) if text is not None and text not in tokens)
    return tokens


class SentencePieceDecoder:
    """``batch_decode`` / ``decode`` equal to the reference's slow LlamaTokenizer with
    ``skip_special_tokens=True`` (see the module docstring for the rules)."""

    def __init__(self, model_file, special_ids=(), clean_up_tokenization_spaces: bool = False):
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self.vocab_size = self.processor.get_piece_size()
        self.special_ids = frozenset(int(i) for i in special_ids)
        self.clean_up_tokenization_spaces = bool(clean_up_tokenization_spaces)

    @classmethod
    def from_folder(cls, folder) -> SentencePieceDecoder:
        """From a checkpoint folder: tokenizer.model plus the json files naming the special tokens."""
        folder = Path(folder)
        added = _read_json(folder / "added_tokens.json")
        if added:
            raise ValueError(f"{folder}: added_tokens.json adds {sorted(added)}; only sentencepiece vocabularies "
                             "are supported")
        if not (folder / "tokenizer.model").is_file():
            raise FileNotFoundError(f"{folder}: no tokenizer.model, the sentencepiece model the reference decodes with")
        decoder = cls(folder / "tokenizer.model")
        ids = []
        for text in special_tokens(folder):
            piece_id = decoder.processor.piece_to_id(text)
            if decoder.processor.id_to_piece(piece_id) != text:
                raise ValueError(f"{folder}: special token {text!r} is not a piece of tokenizer.model")
            ids.append(piece_id)
        decoder.special_ids = frozenset(ids)
        config = _read_json(folder / "tokenizer_config.json")
        decoder.clean_up_tokenization_spaces = bool(config.get("clean_up_tokenization_spaces", False))
        return decoder

    def decode(self, ids) -> str:
        kept = []
        for value in ids:
            index = int(value)
            if index in self.special_ids:
                continue
            if not 0 <= index < self.vocab_size:
                raise IndexError(f"token id {index} is outside the vocabulary (0..{self.vocab_size - 1})")
            kept.append(index)
        # through the pieces, as the slow tokenizer does (ids -> pieces -> sentencepiece decode)
        text = self.processor.decode_pieces([self.processor.id_to_piece(i) for i in kept])
        if self.clean_up_tokenization_spaces:
            for before, after in CLEAN_UP:
                text = text.replace(before, after)
        return text

    def batch_decode(self, sequences) -> list[str]:
        return [self.decode(ids) for ids in sequences]
