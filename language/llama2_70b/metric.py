"""Score a Llama-2-70B accuracy log as the reference evaluate-accuracy.py does, with the EOS cut.

First response per qsl_idx, in log order (decoded by the codec; upstream's ``--dtype float`` logs
are float32 and read as ids); ids cut BEFORE the first EOS (id 2), so the EOS and any batch
padding count neither as tokens nor as text (the rule behind the reference's 294.45 tokens per
sample, e.g. 7,236,312 tokens / 24,576 = 294.4462890625, printed 294.4); decoded as the
reference's slow tokenizer decodes (language.llm.tokenizers.SentencePieceDecoder, special tokens
skipped); ROUGE per language.llm.rouge. The printed dict: rouge1, rouge2, rougeL, rougeLsum,
gen_len (characters of the post-processed predictions), gen_num, gen_tok_len, tokens_per_sample =
round(gen_tok_len / gen_num, 1), all as plain Python numbers so the submission checker's regexes
read them.
"""

from __future__ import annotations

import numpy as np

from harness.score import Score
from language.llm import rouge, sentences
from language.llm.tokenizers import SentencePieceDecoder

EOS = 2


def token_ids(values) -> list[int]:
    """The ids of one decoded response up to (not including) its first EOS.

        >>> token_ids(np.array([5, 6, 7, 2, 2], np.int64)), token_ids(np.array([5.0, 2.0], np.float32))
        ([5, 6, 7], [5])
    """
    ids = np.asarray(values).astype(np.int64).tolist()
    return ids[: ids.index(EOS)] if EOS in ids else ids


def tokens_per_sample(total_tokens: int, samples: int) -> float:
    """As printed by the reference: Python's round to one decimal."""
    return round(total_tokens / samples, 1)


def evaluate(predictions: list[str], references: list[str], token_count: int, split, workers: int = 1) -> dict:
    result = rouge.summary(predictions, references, split, workers)
    result["gen_tok_len"] = int(token_count)
    result["tokens_per_sample"] = tokens_per_sample(token_count, result["gen_num"])
    return result


def score_responses(responses, targets: list[str], decoder, split, workers: int = 1) -> Score:
    kept = [(idx, token_ids(values)) for idx, values in responses]
    texts = decoder.batch_decode([ids for _, ids in kept])
    count = sum(len(ids) for _, ids in kept)
    result = evaluate(texts, [targets[i] for i, _ in kept], count, split, workers)
    notes = []
    if len(kept) < len(targets):
        notes.append(f"partial: ROUGE and tokens per sample over the {len(kept)} of {len(targets)} samples in "
                     "the log")
    values = {"ROUGE1": result["rouge1"], "ROUGE2": result["rouge2"], "ROUGEL": result["rougeL"],
              "ROUGELSUM": result["rougeLsum"], "TOKENS_PER_SAMPLE": result["tokens_per_sample"]}
    details = {"gen_num": result["gen_num"], "gen_len": result["gen_len"], "gen_tok_len": count,
               "tokens_per_sample_exact": count / len(kept)}
    return Score(values=values, lines=[str(result)], scored=len(kept), duplicates=responses.duplicates,
                 details=details, notes=notes)


def score(responses, dataset, run) -> Score:
    """The run's scorer: the checkpoint's tokenizer.model, the run's punkt artifact and WORKERS."""
    return score_responses(responses, dataset.targets, SentencePieceDecoder.from_folder(run.artifact_path("model")),
                           sentences.run_splitter(run.artifacts["punkt"]), run.config.workers)
