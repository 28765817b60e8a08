"""Score a GPT-J accuracy log as the reference evaluation.py does.

First response per qsl_idx, in log order (decoded by the codec); token ids decoded with the GPT-J
tokenizer (special tokens skipped); predictions and references stripped and split into sentences
with nltk's punkt_tab; ROUGE-1/2/L/Lsum per §language.llm.rouge; ``gen_len`` = total characters of
the post-processed predictions; ``gen_num`` = number of predictions. The printed dict holds plain
Python numbers (numpy 2 would print ``np.float64(...)``, which the submission checker cannot read).
"""

from __future__ import annotations

import numpy as np

from harness.score import Score
from language.llm import rouge, sentences
from language.llm.tokenizers import load_tokenizer

DTYPES = ("int32", "int64")  # what upstream's --dtype accepts

# The reference's transformers (4.3x) cleaned up decoded text by default (its GPT-J tokenizer
# config does not turn it off); transformers 5 refuses to for BPE, so the same replacements,
# in the same order, are applied here explicitly.
_CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
            (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def clean_up(text: str) -> str:
    for before, after in _CLEANUP:
        text = text.replace(before, after)
    return text


def decode_texts(tokenizer, token_ids) -> list[str]:
    """The text of each row of token ids (any integer dtype), as the reference's batch_decode gives it."""
    ids = [np.asarray(row).astype(np.int64).tolist() for row in token_ids]
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return [clean_up(text) for text in texts]


def evaluate(predictions: list[str], references: list[str], split, workers: int = 1) -> dict:
    """The reference's result dict: four ROUGE values, gen_len, gen_num (plain Python numbers)."""
    return rouge.summary(predictions, references, split, workers)


def score_responses(responses, targets: list[str], tokenizer, split, workers: int = 1) -> Score:
    kept = list(responses)
    texts = decode_texts(tokenizer, [ids for _, ids in kept])
    result = evaluate(texts, [targets[i] for i, _ in kept], split, workers)
    notes = []
    if len(kept) < len(targets):
        notes.append(f"partial: ROUGE over the {len(kept)} of {len(targets)} samples in the log; GEN_LEN is a "
                     "total over all 13,368 samples, so its target cannot be met by a partial run")
    values = {"ROUGE1": result["rouge1"], "ROUGE2": result["rouge2"], "ROUGEL": result["rougeL"],
              "ROUGELSUM": result["rougeLsum"], "GEN_LEN": result["gen_len"]}
    return Score(values=values, lines=[str(result)], scored=len(kept), duplicates=responses.duplicates,
                 details={"gen_num": result["gen_num"]}, notes=notes)


def score(responses, dataset, run) -> Score:
    """The run's scorer: the checkpoint's tokenizer, the run's punkt artifact and WORKERS."""
    return score_responses(responses, dataset.targets, load_tokenizer(run.artifact_path("model")),
                           sentences.run_splitter(run.artifacts["punkt"]), run.config.workers)
