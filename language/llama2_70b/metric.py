"""Score a Llama-2-70B accuracy log as the reference evaluate-accuracy.py does, with the EOS cut.

First response per qsl_idx, in log order; token ids (int64 by default) cut BEFORE the first EOS
(id 2), so the EOS and any batch padding count neither as tokens nor as text (the rule behind the
reference's 294.45 tokens per sample, e.g. 7,236,312 tokens / 24,576 = 294.4462890625, printed
294.4); decoded with the Llama tokenizer (special tokens skipped); ROUGE per language.llm.rouge.
The printed dict: rouge1, rouge2, rougeL, rougeLsum, gen_len (characters of the post-processed
predictions), gen_num, gen_tok_len, tokens_per_sample = round(gen_tok_len / gen_num, 1), all as
plain Python numbers so the submission checker's regexes read them.
"""

from __future__ import annotations

import numpy as np

from harness.codecs import first_responses, read_accuracy_log
from harness.score import Score
from language.llm import rouge, sentences

EOS = 2
DTYPES = {"int32": np.int32, "int64": np.int64, "float": np.float32}


def token_ids(payload: bytes, dtype: str = "int64") -> list[int]:
    """The ids of one response up to (not including) its first EOS."""
    ids = np.frombuffer(payload, dtype=np.dtype(DTYPES[dtype]).newbyteorder("<")).astype(np.int64).tolist()
    return ids[: ids.index(EOS)] if EOS in ids else ids


def tokens_per_sample(total_tokens: int, samples: int) -> float:
    """As printed by the reference: Python's round to one decimal."""
    return round(total_tokens / samples, 1)


def evaluate(predictions: list[str], references: list[str], token_count: int, split, workers: int = 1) -> dict:
    result = rouge.summary(predictions, references, split, workers)
    result["gen_tok_len"] = int(token_count)
    result["tokens_per_sample"] = tokens_per_sample(token_count, result["gen_num"])
    return result


def score_entries(entries, targets, tokenizer, split, dtype="int64", workers=1) -> Score:
    kept, duplicates = first_responses(entries, len(targets))
    ids = [token_ids(payload, dtype) for payload in kept.values()]
    # the reference checkpoint's tokenizer_config turns the clean-up off; say so explicitly
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    count = sum(len(row) for row in ids)
    result = evaluate(texts, [targets[i] for i in kept], count, split, workers)
    notes = []
    if len(kept) < len(targets):
        notes.append(f"partial: ROUGE and tokens per sample over the {len(kept)} of {len(targets)} samples in "
                     "the log")
    values = {"ROUGE1": result["rouge1"], "ROUGE2": result["rouge2"], "ROUGEL": result["rougeL"],
              "ROUGELSUM": result["rougeLsum"], "TOKENS_PER_SAMPLE": result["tokens_per_sample"]}
    details = {"gen_num": result["gen_num"], "gen_len": result["gen_len"], "gen_tok_len": count,
               "tokens_per_sample_exact": count / len(ids)}
    return Score(values=values, lines=[str(result)], scored=len(kept), duplicates=duplicates, details=details,
                 notes=notes)


def score_run(log_path, dataset) -> Score:
    return score_entries(read_accuracy_log(log_path), dataset.targets, dataset.tokenizer,
                         sentences.run_splitter(dataset.artifacts["punkt"]), workers=rouge.run_workers(dataset.config))
