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
    preds, refs = rouge.postprocess(predictions, split), rouge.postprocess(references, split)
    result = rouge.aggregate(rouge.fmeasures(preds, refs, workers))
    result["gen_len"] = int(sum(len(p) for p in preds))
    result["gen_num"] = len(preds)
    return result


def score_entries(entries, targets, tokenizer, split, dtype="int64", workers=1) -> Score:
    kept, duplicates = first_responses(entries)
    if not kept:
        raise ValueError("no responses to score: the accuracy log is empty")
    bad = [i for i in kept if not 0 <= i < len(targets)]
    if bad:
        raise ValueError(f"the accuracy log has qsl_idx {bad[0]}, but the dataset has {len(targets)} samples")
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
    folder = sentences.unpack(dataset.artifacts["punkt"].path, punkt_checksum(dataset.artifacts["punkt"]))
    workers = max(1, getattr(dataset.config, "workers", 1) or 1)
    return score_entries(read_accuracy_log(log_path), dataset.targets, dataset.tokenizer,
                         sentences.splitter(folder), workers=workers)


def punkt_checksum(resolved) -> str | None:
    """The official hash for the declared artifact; a manifest's file was verified by the manifest."""
    return sentences.PUNKT_TAB_SHA256 if resolved.origin == "declared" else None
