"""Score a Mixtral accuracy log as the reference evaluate-accuracy.py does.

Log order; ``gen_num`` counts every entry (duplicates too, as the reference does), only the
first response per qsl_idx is scored. Rows route by the dataset's ``dataset`` column: OpenOrca
-> ROUGE (language.llm.rouge, sentences split with punkt_tab) and ``gen_len`` (characters of the
post-processed predictions); GSM8K -> exact match (gsm8k.py); MBXP -> programs run (mbxp.py).
``gen_tok_len`` sums the token counts of all three, and ``tokens_per_sample`` =
round(gen_tok_len / gen_num, 1). The printed dict holds plain Python numbers.
"""

from __future__ import annotations

import numpy as np

from harness.codecs import read_accuracy_log
from harness.score import Score
from language.llm import rouge, sentences

from . import gsm8k, mbxp

DTYPES = ("int32", "int64", "float")
_NUMPY = {"int32": "<i4", "int64": "<i8", "float": "<f4"}


def route(entries, frame, dtype: str = "int64"):
    """``(gen_num, {kind: [(qsl_idx, ids)]})`` in log order, first response per qsl_idx."""
    kinds = frame["dataset"].tolist()
    seen, groups, gen_num = set(), {"OpenOrca": [], "GSM8K": [], "MBXP": []}, 0
    for entry in entries:
        gen_num += 1
        idx = int(entry["qsl_idx"])
        if idx in seen:
            continue
        if not 0 <= idx < len(kinds):
            raise ValueError(f"the accuracy log has qsl_idx {idx}, but the dataset has {len(kinds)} rows")
        seen.add(idx)
        ids = np.frombuffer(bytes.fromhex(entry["data"]), dtype=_NUMPY[dtype])
        kind = kinds[idx] if kinds[idx] in ("OpenOrca", "GSM8K") else "MBXP"
        groups[kind].append((idx, ids))
    return gen_num, groups


def decode(tokenizer, rows) -> list[str]:
    return tokenizer.batch_decode([ids.astype(np.int64).tolist() for _, ids in rows], skip_special_tokens=True)


def evaluate(entries, frame, tokenizer, split, dtype="int64", workers=1) -> tuple[dict, dict]:
    """The reference's result dict, and the MBXP details (per-language counts, skipped languages)."""
    gen_num, groups = route(entries, frame, dtype)
    if gen_num == 0:
        raise ValueError("no responses to score: the accuracy log is empty")
    gt = frame["gt_output"].tolist()
    result: dict = {}
    orca = groups["OpenOrca"]
    preds = rouge.postprocess(decode(tokenizer, orca), split) if orca else []
    if orca:
        refs = rouge.postprocess([gt[i] for i, _ in orca], split)
        result.update(rouge.aggregate(rouge.fmeasures(preds, refs, workers)))
    math = groups["GSM8K"]
    if not math:
        raise ValueError("no GSM8K rows in the log: the reference divides by zero here")
    result["gsm8k"] = gsm8k.accuracy(decode(tokenizer, math), [gt[i] for i, _ in math])
    problems = []
    for (i, _), text in zip(groups["MBXP"], decode(tokenizer, groups["MBXP"])):
        lang, entry_point = frame["id"].iloc[i].split("_", 1)
        problems.append({"lang": lang, "entry_point": entry_point, "test_code": gt[i], "response": text})
    details = mbxp.evaluate(problems, workers) if problems else {"mbxp": 0, "skipped": {}, "counts": {}}
    result["mbxp"] = details["mbxp"]
    gen_tok_len = int(sum(len(ids) for rows in groups.values() for _, ids in rows))
    result.update({"gen_len": int(sum(len(p) for p in preds)), "gen_num": gen_num, "gen_tok_len": gen_tok_len,
                   "tokens_per_sample": round(gen_tok_len / gen_num, 1)})
    return result, details


def score_entries(entries, frame, tokenizer, split, dtype="int64", workers=1) -> Score:
    result, details = evaluate(entries, frame, tokenizer, split, dtype, workers)
    values = {"TOKENS_PER_SAMPLE": result["tokens_per_sample"], "gsm8k_accuracy": result["gsm8k"],
              "mbxp_accuracy": result["mbxp"]}
    if "rouge1" in result:
        values.update(ROUGE1=result["rouge1"], ROUGE2=result["rouge2"], ROUGEL=result["rougeL"],
                      ROUGELSUM=result["rougeLsum"])
    scored = sum(1 for _ in {int(e["qsl_idx"]) for e in entries})
    notes = []
    if scored < len(frame):
        notes.append(f"partial: scored {scored} of {len(frame)} samples")
    if details["skipped"]:
        notes.append("partial MBXP: no toolchain here for " + ", ".join(
            f"{lang} ({n} problems)" for lang, n in sorted(details["skipped"].items())) +
            "; mbxp is over the languages that ran")
    return Score(values=values, lines=[str(result)], scored=scored, duplicates=len(entries) - scored,
                 details={"mbxp_passed": details.get("passed", {}), "mbxp_counts": details["counts"],
                          "mbxp_skipped": details["skipped"]}, notes=notes)


def score_run(log_path, dataset) -> Score:
    return score_entries(read_accuracy_log(log_path), dataset.frame, dataset.tokenizer,
                         sentences.run_splitter(dataset.artifacts["punkt"]), workers=rouge.run_workers(dataset.config))
