"""Score a GPT-J accuracy log as the reference evaluation.py does.

First response per qsl_idx, in log order; int64 token ids decoded with the GPT-J tokenizer
(special tokens skipped); predictions and references stripped and split into sentences with
nltk's punkt_tab; ROUGE-1/2/L/Lsum per §language.llm.rouge; ``gen_len`` = total characters of the
post-processed predictions; ``gen_num`` = number of predictions. The printed dict holds plain
Python numbers (numpy 2 would print ``np.float64(...)``, which the submission checker cannot read).
"""

from __future__ import annotations

import numpy as np

from harness.codecs import first_responses, read_accuracy_log
from harness.score import Score
from language.llm import rouge, sentences

DTYPES = ("int32", "int64")


# The reference's transformers (4.3x) cleaned up decoded text by default (its GPT-J tokenizer
# config does not turn it off); transformers 5 refuses to for BPE, so the same replacements,
# in the same order, are applied here explicitly.
_CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
            (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def clean_up(text: str) -> str:
    for before, after in _CLEANUP:
        text = text.replace(before, after)
    return text


def decode_texts(tokenizer, payloads: list[bytes], dtype: str = "int64") -> list[str]:
    ids = [np.frombuffer(p, dtype=np.dtype(dtype).newbyteorder("<")).tolist() for p in payloads]
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return [clean_up(text) for text in texts]


def evaluate(predictions: list[str], references: list[str], split, workers: int = 1) -> dict:
    """The reference's result dict: four ROUGE values, gen_len, gen_num (plain Python numbers)."""
    return rouge.summary(predictions, references, split, workers)


def score_entries(entries, targets, tokenizer, split, dtype="int64", workers=1) -> Score:
    kept, duplicates = first_responses(entries, len(targets))
    texts = decode_texts(tokenizer, list(kept.values()), dtype)
    result = evaluate(texts, [targets[i] for i in kept], split, workers)
    notes = []
    if len(kept) < len(targets):
        notes.append(f"partial: ROUGE over the {len(kept)} of {len(targets)} samples in the log; GEN_LEN is a "
                     "total over all 13,368 samples, so its target cannot be met by a partial run")
    values = {"ROUGE1": result["rouge1"], "ROUGE2": result["rouge2"], "ROUGEL": result["rougeL"],
              "ROUGELSUM": result["rougeLsum"], "GEN_LEN": result["gen_len"]}
    return Score(values=values, lines=[str(result)], scored=len(kept), duplicates=duplicates,
                 details={"gen_num": result["gen_num"]}, notes=notes)


def score_run(log_path, dataset) -> Score:
    return score_entries(read_accuracy_log(log_path), dataset.targets, dataset.tokenizer,
                         sentences.run_splitter(dataset.artifacts["punkt"]), workers=rouge.run_workers(dataset.config))
