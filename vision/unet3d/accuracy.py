"""``python -m harness accuracy 3d-unet``: the flags, files and printed lines of the reference's
``accuracy_kits.py``, so a LoadGen log from any 3D-UNet harness can be scored digit for digit.

It reads ``preprocessed_files.pkl`` and the ground truth ``nifti/<case>/segmentation.nii.gz`` from
``--preprocessed_data_dir``, writes ``<case>/prediction.nii.gz`` and ``summary.csv`` into
``--postprocessed_data_dir`` and prints the ``Accuracy:`` line from the summary's mean row.
Unlike the reference it also scores a log with fewer than all cases (saying so) and keeps the
first response of a repeated sample instead of stopping.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from harness import pool as processes
from harness.codecs import ArrayCodec, Responses

from .metric import accuracy_line, dice_scores, partial_note, summarise
from .store import read_index

DTYPES = ("int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64")  # upstream's --output_dtype


def _save_prediction(job) -> None:
    import nibabel

    volume, affine, path = job
    path.parent.mkdir(parents=True, exist_ok=True)
    nibabel.save(nibabel.Nifti1Image(volume, affine=affine), path)


def _case_dice(job) -> tuple[float, float]:
    import nibabel

    truth_path, prediction_path = job
    truth = nibabel.load(truth_path).get_fdata().astype(np.uint8)
    prediction = nibabel.load(prediction_path).get_fdata().astype(np.uint8)
    return dice_scores(prediction, truth)


def write_summary(path: Path, per_case: dict[str, tuple[float, float]], means: dict[str, float]) -> None:
    """summary.csv as the reference writes it with pandas >= 1.3: ``case,kidney,tumor,composite``,
    a row per case, then the ``mean`` row; floats in their shortest round-trip form."""
    rows = ["case,kidney,tumor,composite"]
    rows += [f"{case},{k!r},{t!r},{(k + t) / 2!r}" for case, (k, t) in per_case.items()]
    rows.append(f"mean,{means['kidney']!r},{means['tumor']!r},{means['composite']!r}")
    path.write_text("\n".join(rows) + "\n")


def read_mean_row(path: Path) -> dict[str, float]:
    """The ``mean`` row by column name, as the reference reads it back."""
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    for line in lines[1:]:
        words = line.split(",")
        if words[0] == "mean":
            return {name: float(words[header.index(name)]) for name in ("composite", "kidney", "tumor")}
    raise ValueError(f"{path} has no mean row")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness accuracy 3d-unet",
                                     description="DICE of kidney and tumour from a LoadGen accuracy log (KiTS19).")
    parser.add_argument("--log_file", default="build/logs/mlperf_log_accuracy.json", help="path to the accuracy log")
    parser.add_argument("--output_dtype", default="uint8", choices=DTYPES, help="dtype of the logged labels")
    parser.add_argument("--preprocessed_data_dir", default="build/preprocessed_data",
                        help="folder with preprocessed_files.pkl and nifti/<case>/segmentation.nii.gz")
    parser.add_argument("--postprocessed_data_dir", default="build/postprocessed_data",
                        help="where <case>/prediction.nii.gz and summary.csv are written")
    parser.add_argument("--num_proc", type=int, default=4, help="worker processes for NIfTI files and DICE")
    args = parser.parse_args(argv)
    pre, post = Path(args.preprocessed_data_dir), Path(args.postprocessed_data_dir)

    print("Loading necessary metadata...")
    file_list, aux = read_index(pre)
    print("Loading loadgen accuracy log...")
    predictions = {}
    for idx, flat in Responses(args.log_file, ArrayCodec(args.output_dtype), size=len(file_list)):
        case = file_list[idx]
        if case not in aux:
            raise ValueError(f"{case} is in the log but not in {pre / 'preprocessed_files.pkl'}")
        predictions[case] = flat.reshape(aux[case]["image_shape"])
    print("Running postprocessing...")
    print("Saving predictions...")
    post.mkdir(parents=True, exist_ok=True)
    saves = [(np.squeeze(p, 0), aux[c]["reshaped_affine"], post / c / "prediction.nii.gz")
             for c, p in predictions.items()]
    processes.map_in_order(_save_prediction, saves, args.num_proc)
    print("Running evaluation...")
    cases = [c for c in file_list if c in predictions]  # the reference's order: its file list
    pairs = [(pre / "nifti" / c / "segmentation.nii.gz", post / c / "prediction.nii.gz") for c in cases]
    scores = processes.map_in_order(_case_dice, pairs, args.num_proc)
    per_case = dict(zip(cases, scores))
    write_summary(post / "summary.csv", per_case, summarise(per_case))
    print("Processing evaluation summary...")
    note = partial_note(len(per_case), len(file_list))
    if note:
        print(f"note: {note}")
    print(accuracy_line(read_mean_row(post / "summary.csv")))
    print("Done!")
    return 0
