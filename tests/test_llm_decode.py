"""language.llm.tokenizers: the Llama/Mixtral decode of the reference scorers, on a tiny sentencepiece model.

The model is trained here (BPE with byte fallback, unk 0 / bos 1 / eos 2, as Llama's), from generated
text with accented, CJK and emoji characters, in a folder laid out like a Llama checkpoint.

Compared once, outside this suite (a scratch venv with transformers 4.31.0 and sentencepiece 0.1.99,
the versions the reference's README pins): a model trained the same way (vocab 400), four checkpoint
layouts (Llama-2-style AddedToken dicts with legacy false; Mixtral-style strings with legacy true and
added_tokens_decoder; tokenizer.model alone; clean-up on with extra special tokens set in both json
files), 40,000 id sequences each (20,000 random, 20,000 encoded text cut and mixed with special ids;
18,927 of them decode to text holding U+FFFD). The reference's
``AutoTokenizer.from_pretrained(folder, model_max_length=2048, padding_side="left", use_fast=False)
.batch_decode(ids, skip_special_tokens=True)`` and ``SentencePieceDecoder.from_folder(folder)
.batch_decode(ids)`` (sentencepiece 0.2.3 and 0.1.99) gave 160,000 equal strings, 0 differences, the
same special ids, and the same IndexError for ids outside the vocabulary. transformers 5.24 differed
on 11,952 of the 40,000. transformers 4.33.2 and 4.44.2 equal 4.31 except, for checkpoints with
legacy true, one more leading space dropped when the first kept piece starts with "▁"
(1,046 of 40,000; none after str.strip()).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from language.llm.tokenizers import SentencePieceDecoder, load_tokenizer, special_tokens

UNK, BOS, EOS = 0, 1, 2
BYTE0 = 3  # <0x00>; byte b is id 3 + b
WORDS = ("hello", "world", "café", "naïve", "€uro", "日本語", "テキスト", "Ünïcödé", "price", "tokens", "🙂", "über",
         "the", "a", "of", "don", "n't", "it", ".", ",", "?", "12")


def byte(b: int) -> int:
    return BYTE0 + b


def added_token(text: str) -> dict:
    return {"__type": "AddedToken", "content": text, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    import sentencepiece

    folder = tmp_path_factory.mktemp("spm")
    rng = random.Random(0)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).replace(" of", "  of")
             for _ in range(600)]
    (folder / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(folder / "corpus.txt"), model_prefix=str(folder / "m"), vocab_size=400, model_type="bpe",
        byte_fallback=True, character_coverage=0.99, unk_id=UNK, bos_id=BOS, eos_id=EOS, pad_id=-1,
        split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", allow_whitespace_only_pieces=True, minloglevel=2)
    return folder / "m.model"


def checkpoint(where: Path, model_file: Path, config: dict | None = None, special_map: dict | None = None) -> Path:
    where.mkdir(parents=True)
    (where / "tokenizer.model").write_bytes(model_file.read_bytes())
    if config is not None:
        (where / "tokenizer_config.json").write_text(json.dumps(config))
    if special_map is not None:
        (where / "special_tokens_map.json").write_text(json.dumps(special_map))
    return where


@pytest.fixture(scope="module")
def llama_folder(model_file, tmp_path_factory) -> Path:
    """As Llama-2's: AddedToken dicts, legacy false, clean-up off, no pad."""
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": added_token("<s>"),
              "clean_up_tokenization_spaces": False, "eos_token": added_token("</s>"), "legacy": False,
              "model_max_length": 10 ** 30, "pad_token": None, "padding_side": "right", "sp_model_kwargs": {},
              "tokenizer_class": "LlamaTokenizer", "unk_token": added_token("<unk>")}
    special_map = {key: {"content": text, "lstrip": False, "normalized": False, "rstrip": False,
                         "single_word": False}
                   for key, text in (("bos_token", "<s>"), ("eos_token", "</s>"), ("unk_token", "<unk>"))}
    return checkpoint(tmp_path_factory.mktemp("llama") / "ckpt", model_file, config, special_map)


@pytest.fixture(scope="module")
def processor(model_file):
    import sentencepiece

    return sentencepiece.SentencePieceProcessor(model_file=str(model_file))


def piece(processor, text: str) -> int:
    index = processor.piece_to_id(text)
    assert processor.id_to_piece(index) == text, f"the tiny model has no piece {text!r}"
    return index


def random_sequences(size: int, count: int, seed: int) -> list[list[int]]:
    """Ids mixing any byte piece, the bytes of multi-byte characters, merged pieces and special ids;
    every third sequence gets a special id at its start, middle and end."""
    rng = random.Random(seed)
    utf8 = [byte(b) for b in (0x20, 0x0A, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xC3, 0xA9)]
    sequences = []
    for n in range(count):
        seq = []
        for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 13, 30])):
            r = rng.random()
            seq.append(rng.choice([UNK, BOS, EOS]) if r < 0.15 else rng.randrange(BYTE0, BYTE0 + 256) if r < 0.55
                       else rng.choice(utf8) if r < 0.75 else rng.randrange(BYTE0 + 256, size))
        if n % 3 == 0:
            seq.insert(len(seq) // 2, rng.choice([UNK, BOS, EOS]))
            seq = [rng.choice([UNK, BOS, EOS])] + seq + [rng.choice([UNK, BOS, EOS])]
        sequences.append(seq)
    return sequences


def test_special_ids_are_read_from_the_checkpoint(llama_folder, model_file, tmp_path):
    assert special_tokens(llama_folder) == ["<s>", "</s>", "<unk>"]
    assert SentencePieceDecoder.from_folder(llama_folder).special_ids == {UNK, BOS, EOS}
    # tokenizer.model alone: LlamaTokenizer's own unk/bos/eos
    assert SentencePieceDecoder.from_folder(checkpoint(tmp_path / "bare", model_file)).special_ids == {0, 1, 2}


def test_random_sequences_decode_as_sentencepiece_after_dropping_special_ids(llama_folder, processor):
    decoder = SentencePieceDecoder.from_folder(llama_folder)
    sequences = random_sequences(decoder.vocab_size, 6000, seed=20240212)
    got = decoder.batch_decode(sequences)
    expected = [processor.decode_ids([i for i in seq if i not in (UNK, BOS, EOS)]) for seq in sequences]
    assert got == expected
    # the draw covers what the rules are about
    assert sum("\ufffd" in text for text in got) > 2000
    assert sum(seq[:1] in ([UNK], [BOS], [EOS]) and seq[-1:] in ([UNK], [BOS], [EOS]) for seq in sequences) >= 2000
    assert sum(any(BYTE0 + 0x80 <= i < BYTE0 + 0xC0 for i in seq) for seq in sequences) > 2000
    # as one batch or one by one, lists or numpy rows of any integer dtype
    assert [decoder.decode(np.asarray(seq, np.int64)) for seq in sequences[:200]] == got[:200]
    assert decoder.batch_decode([np.asarray(seq, np.int32) for seq in sequences[:200]]) == got[:200]


def test_worked_examples(llama_folder, processor):
    decode = SentencePieceDecoder.from_folder(llama_folder).decode
    hello, price, two_spaces = piece(processor, "▁hello"), piece(processor, "▁price"), piece(processor, "▁▁")
    euro = [byte(0xE2), byte(0x82), byte(0xAC)]
    assert decode([BOS, hello, price, EOS]) == "hello price"  # the first piece's "▁" is no space
    assert decode([hello, EOS, price]) == "hello price"  # a special id in the middle is simply gone
    assert decode([two_spaces, hello]) == "  hello"  # "▁▁" "▁hello": only the first "▁" is dropped
    assert decode(euro) == "€"
    assert decode([byte(0xE2), EOS, byte(0x82), UNK, byte(0xAC)]) == "€"  # special ids do not split a character
    assert decode([byte(0x80)]) == "\ufffd"  # a lone continuation byte
    assert decode([byte(0x80)] * 3) == "\ufffd" * 3
    # a cut 3-byte character: one U+FFFD per byte (Python's errors="replace" would give a single one)
    assert decode([byte(0xE2), byte(0x82)]) == "\ufffd\ufffd"
    assert b"\xe2\x82".decode("utf-8", errors="replace") == "\ufffd"
    # the valid character before a stray byte is kept (transformers 5 gives four U+FFFD here)
    assert decode(euro + [byte(0x80)]) == "€\ufffd"
    assert decode([hello, byte(0xE2), price]) == "hello\ufffd price"
    assert decode([byte(0xF0), byte(0x9F), byte(0x99), byte(0x82)]) == "🙂"
    assert decode([byte(0x20), hello]) == "  hello"  # a space from a byte piece stays (transformers 5 drops it)
    assert decode([byte(0x0A), hello]) == "\n hello"
    assert decode([UNK]) == "" and decode([BOS, UNK, EOS]) == "" and decode([]) == ""
    for outside in (400, 10 ** 6, -1):
        with pytest.raises(IndexError):  # the reference's slow tokenizer refuses these too
            decode([hello, outside])


def test_special_tokens_and_clean_up_follow_the_json_files(model_file, processor, tmp_path):
    the, of, a = piece(processor, "▁the"), piece(processor, "▁of"), piece(processor, "▁a")
    hello, dot = piece(processor, "▁hello"), byte(ord("."))
    # tokenizer_config first, then special_tokens_map.json over it (its eos wins; </s> is no longer special)
    folder = checkpoint(tmp_path / "extra", model_file,
                        {"tokenizer_class": "LlamaTokenizer", "clean_up_tokenization_spaces": True,
                         "eos_token": "</s>", "additional_special_tokens": ["▁the", added_token("<0x0A>")]},
                        {"eos_token": {"content": "▁of", "lstrip": False}, "pad_token": "▁a"})
    decoder = SentencePieceDecoder.from_folder(folder)
    assert decoder.special_ids == {UNK, BOS, of, a, the, byte(0x0A)}
    assert decoder.decode([hello, the, of, a, byte(0x0A), EOS, hello]) == "hello hello"  # </s> decodes as ""
    # the clean-up of " ." etc., as transformers' clean_up_tokenization
    assert decoder.decode([hello, piece(processor, "▁"), dot]) == "hello."
    off = SentencePieceDecoder.from_folder(checkpoint(tmp_path / "off", model_file, {"eos_token": "</s>"}))
    assert off.decode([hello, piece(processor, "▁"), dot]) == "hello ."


def test_checkpoints_beyond_the_sentencepiece_vocabulary_are_refused(model_file, tmp_path):
    added = checkpoint(tmp_path / "added", model_file)
    (added / "added_tokens.json").write_text(json.dumps({"<pad>": 400}))
    with pytest.raises(ValueError, match="added_tokens.json"):
        SentencePieceDecoder.from_folder(added)
    with pytest.raises(ValueError, match="not a piece"):
        SentencePieceDecoder.from_folder(checkpoint(tmp_path / "pad", model_file, {"pad_token": "<pad>"}))
    (tmp_path / "json_only").mkdir()
    (tmp_path / "json_only" / "tokenizer_config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="tokenizer.model"):
        SentencePieceDecoder.from_folder(tmp_path / "json_only")
    with pytest.raises(ValueError, match="not a Llama tokenizer"):
        SentencePieceDecoder.from_folder(checkpoint(tmp_path / "t5", model_file, {"tokenizer_class": "T5Tokenizer"}))


def test_load_tokenizer_sets_up_gptj_encoding_as_the_reference(tmp_path):
    from language.gptj.demo import EOS as GPTJ_EOS
    from language.gptj.demo import write_tokenizer

    write_tokenizer(tmp_path, ["hello world, the price of tokens"] * 4)
    tokenizer = load_tokenizer(tmp_path)
    assert tokenizer.model_max_length == 2048 and tokenizer.padding_side == "left"
    assert tokenizer.pad_token == tokenizer.eos_token == GPTJ_EOS
    batch = tokenizer(["hello", "hello world"], padding=True)["input_ids"]
    assert batch[0][0] == tokenizer.eos_token_id and batch[1][0] != tokenizer.eos_token_id  # left padded with eos


@pytest.mark.parametrize("legacy", [False, True])
def test_the_demo_checkpoints_tokenizer_is_decoded_like_a_real_one(tmp_path, legacy):
    from language.llm.demo_tokenizer import write_tokenizer

    corpus = [" ".join(random.Random(n).choice(WORDS) for _ in range(8)) for n in range(50)]
    processor = write_tokenizer(tmp_path / "a", corpus, 400, legacy)
    assert write_tokenizer(tmp_path / "b", corpus, 400, legacy).serialized_model_proto() == \
        (tmp_path / "a" / "tokenizer.model").read_bytes()  # the same corpus gives the same model
    config = json.loads((tmp_path / "a" / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "LlamaTokenizer" and config["legacy"] is legacy
    assert isinstance(config["eos_token"], str) is legacy  # Mixtral's strings, Llama-2's AddedToken dicts
    decoder = SentencePieceDecoder.from_folder(tmp_path / "a")
    assert decoder.special_ids == {UNK, BOS, EOS}
    ids = [BOS] + processor.encode("hello world") + [byte(0x80), EOS]
    assert decoder.decode(ids) == "hello world\ufffd"
