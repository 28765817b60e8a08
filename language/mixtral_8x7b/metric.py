"""Score a Mixtral accuracy log as the reference evaluate-accuracy.py does.

Log order; only the first response per qsl_idx is scored (decoded by the codec, read as int64
ids; upstream's ``--dtype float`` logs are float32), but ``gen_num`` counts every entry,
duplicates too, as the reference does. The ids are decoded as the reference's slow tokenizer
decodes them (language.llm.tokenizers.SentencePieceDecoder, special tokens skipped). Rows route
by the dataset's ``dataset`` column: OpenOrca -> ROUGE (language.llm.rouge, sentences split with
punkt_tab) and ``gen_len`` (characters of the post-processed predictions); GSM8K -> exact match
(gsm8k.py); anything else is MBXP -> programs run (mbxp.py). ``gen_tok_len`` sums the token counts
of all three, and ``tokens_per_sample`` = round(gen_tok_len / gen_num, 1). The printed dict holds
plain Python numbers.
"""

from __future__ import annotations

import numpy as np

from harness.score import Score
from language.llm import rouge, sentences
from language.llm.tokenizers import SentencePieceDecoder

from . import gsm8k, mbxp


def route(responses, kinds: list[str]) -> tuple[int, dict[str, list[tuple[int, np.ndarray]]]]:
    """``(gen_num, {kind: [(qsl_idx, int64 ids)]})`` in log order, first response per qsl_idx."""
    groups: dict[str, list] = {"OpenOrca": [], "GSM8K": [], "MBXP": []}
    for idx, values in responses:
        kind = kinds[idx] if kinds[idx] in ("OpenOrca", "GSM8K") else "MBXP"
        groups[kind].append((idx, np.asarray(values).astype(np.int64)))
    return sum(map(len, groups.values())) + responses.duplicates, groups


def evaluate(responses, frame, decoder, split, workers: int = 1, mbxp_workers: int | None = None,
             sandbox: str = "bwrap") -> tuple[dict, dict]:
    """The reference's result dict, and the MBXP details (per-language counts, skipped languages);
    ``workers`` ROUGE processes, ``mbxp_workers`` programs at a time (default: ``workers``), in the
    ``sandbox`` MBXP_SANDBOX names."""
    gen_num, groups = route(responses, frame["dataset"].tolist())
    gt = frame["gt_output"].tolist()

    def texts(rows):
        return decoder.batch_decode([ids for _, ids in rows])

    result: dict = {}
    orca = groups["OpenOrca"]
    preds = rouge.postprocess(texts(orca), split) if orca else []
    if orca:
        refs = rouge.postprocess([gt[i] for i, _ in orca], split)
        result.update(rouge.aggregate(rouge.fmeasures(preds, refs, workers)))
    math = groups["GSM8K"]
    if not math:
        raise ValueError("no GSM8K rows in the log: the reference divides by zero here")
    result["gsm8k"] = gsm8k.accuracy(texts(math), [gt[i] for i, _ in math])
    problems = []
    for (i, _), text in zip(groups["MBXP"], texts(groups["MBXP"])):
        lang, entry_point = frame["id"].iloc[i].split("_", 1)
        problems.append({"lang": lang, "entry_point": entry_point, "test_code": gt[i], "response": text})
    parallel = workers if mbxp_workers is None else mbxp_workers
    details = (mbxp.evaluate(problems, parallel, mode=sandbox) if problems
               else {"mbxp": 0, "skipped": {}, "counts": {}})
    result["mbxp"] = details["mbxp"]
    gen_tok_len = int(sum(len(ids) for rows in groups.values() for _, ids in rows))
    result.update({"gen_len": int(sum(len(p) for p in preds)), "gen_num": gen_num, "gen_tok_len": gen_tok_len,
                   "tokens_per_sample": round(gen_tok_len / gen_num, 1)})
    return result, details


def score_responses(responses, frame, decoder, split, workers: int = 1, mbxp_workers: int | None = None,
                    sandbox: str = "bwrap") -> Score:
    result, details = evaluate(responses, frame, decoder, split, workers, mbxp_workers, sandbox)
    values = {"TOKENS_PER_SAMPLE": result["tokens_per_sample"], "gsm8k_accuracy": result["gsm8k"],
              "mbxp_accuracy": result["mbxp"]}
    if "rouge1" in result:
        values.update(ROUGE1=result["rouge1"], ROUGE2=result["rouge2"], ROUGEL=result["rougeL"],
                      ROUGELSUM=result["rougeLsum"])
    scored = result["gen_num"] - responses.duplicates
    notes = []
    if scored < len(frame):
        notes.append(f"partial: scored {scored} of {len(frame)} samples")
    if details["skipped"]:
        notes.append("partial MBXP: no toolchain here for " + ", ".join(
            f"{lang} ({n} problems)" for lang, n in sorted(details["skipped"].items())) +
            "; mbxp is over the languages that ran")
    if details.get("sandbox") == "none":
        notes.append("MBXP programs ran WITHOUT the bubblewrap sandbox (MBXP_SANDBOX=none)")
    return Score(values=values, lines=[str(result)], scored=scored, duplicates=responses.duplicates,
                 details={"mbxp_passed": details.get("passed", {}), "mbxp_counts": details["counts"],
                          "mbxp_skipped": details["skipped"], "mbxp_sandbox": details.get("sandbox")},
                 notes=notes)


def score(responses, dataset, run) -> Score:
    """The run's scorer: the checkpoint's tokenizer.model, the run's punkt artifact and WORKERS."""
    return score_responses(responses, dataset.frame, SentencePieceDecoder.from_folder(run.artifact_path("model")),
                           sentences.run_splitter(run.artifacts["punkt"]), run.config.workers,
                           sandbox=run.config.options["MBXP_SANDBOX"])
