"""The preprocessed KiTS19 folder, in the reference's layout, built once and reused.

Layout (what the reference's accuracy script reads, so both tools work on either's folder)::

    case_XXXXX.pkl                       [image float32 (1,D,H,W), label uint8 (1,D,H,W)]
    nifti/case_XXXXX/imaging.nii.gz      the same volumes as NIfTI, with the resampled affine
    nifti/case_XXXXX/segmentation.nii.gz
    preprocessed_files.pkl               {'file_list': [...], 'cases': {case: aux}}
    aux/case_XXXXX.json                  ours: one case's aux and MD5; written last, so a case
                                         with this file is complete and an interrupted build resumes
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from harness import pool as processes
from harness import progress

from . import safe_pickle
from .cases import COPIES
from .preprocess import preprocess_case

MAX_WORKERS = 4  # the reference's default: each worker holds several GB for the largest volumes


def raw_folder(raw_dir: Path, case: str) -> Path:
    """Where a case's raw files are: its own folder, or the folder the reference copies it from."""
    own = Path(raw_dir) / case
    if case in COPIES and not (own / "imaging.nii.gz").is_file():
        return Path(raw_dir) / COPIES[case]
    return own


def missing_raw(raw_dir: Path, cases) -> list[str]:
    return [c for c in cases if not all((raw_folder(raw_dir, c) / f).is_file()
                                        for f in ("imaging.nii.gz", "segmentation.nii.gz"))]


def _aux_path(out_dir: Path, case: str) -> Path:
    return Path(out_dir) / "aux" / f"{case}.json"


def _save_nifti(volume: np.ndarray, affine: np.ndarray, path: Path) -> None:
    import nibabel

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{os.getpid()}.{path.name}")
    nibabel.save(nibabel.Nifti1Image(np.squeeze(volume, 0), affine=affine), tmp)
    os.replace(tmp, path)


def _build_case(job: tuple[str, str, str, int]) -> str:
    raw_dir, out_dir, case, roi = job
    out = Path(out_dir)
    image, label, aux = preprocess_case(raw_folder(Path(raw_dir), case), roi)
    data = safe_pickle.dumps([image, label])
    tmp = out / f".{os.getpid()}.{case}.pkl"
    tmp.write_bytes(data)
    os.replace(tmp, out / f"{case}.pkl")
    _save_nifti(image, aux["reshaped_affine"], out / "nifti" / case / "imaging.nii.gz")
    _save_nifti(label, aux["reshaped_affine"], out / "nifti" / case / "segmentation.nii.gz")
    record = {"case": case, "md5": hashlib.md5(data).hexdigest(), "image_shape": list(aux["image_shape"]),
              "original_affine": aux["original_affine"].tolist(), "reshaped_affine": aux["reshaped_affine"].tolist(),
              "zoom_factor": aux["zoom_factor"].tolist(), "mean": round(float(np.mean(image)), 2),
              "std": round(float(np.std(image)), 2)}
    path = _aux_path(out, case)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(record))
    os.replace(path.with_suffix(".tmp"), path)
    return case


def _init_worker() -> None:
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def build(raw_dir: Path, out_dir: Path, cases, roi: int, workers: int) -> list[str]:
    """Preprocess every case of ``cases`` not yet complete in ``out_dir``; returns those computed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [c for c in cases if not _aux_path(out_dir, c).is_file()]
    jobs = [(str(raw_dir), str(out_dir), c, roi) for c in todo]
    workers = max(1, min(workers, MAX_WORKERS, len(jobs)))
    if workers == 1:
        for job in progress.track(jobs, "preprocessing", unit=" cases"):
            _build_case(job)
    else:
        with processes.executor(workers, initializer=_init_worker) as pool:
            list(progress.track(pool.map(_build_case, jobs), "preprocessing", len(jobs), " cases"))
    return todo


def records(out_dir: Path, cases) -> dict[str, dict]:
    return {c: json.loads(_aux_path(out_dir, c).read_text()) for c in cases}


def write_index(out_dir: Path, file_list, recs: dict[str, dict]) -> None:
    """``preprocessed_files.pkl`` as the reference writes it (for every case built so far)."""
    cases = {}
    for case, r in recs.items():
        cases[case] = {"original_affine": np.array(r["original_affine"]),
                       "reshaped_affine": np.array(r["reshaped_affine"]),
                       "zoom_factor": np.array(r["zoom_factor"]), "case": case, "image_shape": tuple(r["image_shape"])}
    path = Path(out_dir) / "preprocessed_files.pkl"
    tmp = path.with_name(f".{os.getpid()}.{path.name}")  # shards running side by side each write it whole
    tmp.write_bytes(safe_pickle.dumps({"file_list": list(file_list), "cases": cases}))
    os.replace(tmp, path)


def read_index(pre_dir: Path) -> tuple[list[str], dict[str, dict]]:
    """``(file_list, aux per case)`` from a preprocessed folder (ours or the reference's)."""
    path = Path(pre_dir) / "preprocessed_files.pkl"
    if not path.is_file():
        raise FileNotFoundError(f"no preprocessed_files.pkl in {pre_dir}: is it a preprocessed KiTS19 folder?")
    index = safe_pickle.load(path)
    return list(index["file_list"]), dict(index["cases"])


def checksum_mismatches(recs: dict[str, dict], expected: dict[str, str]) -> list[str]:
    """Cases whose pickle differs from the expected MD5 (cases without an expected MD5 are skipped)."""
    return [c for c, r in recs.items() if c in expected and r["md5"] != expected[c]]


def load_case(pre_dir: Path, case: str) -> list[np.ndarray]:
    return safe_pickle.load(Path(pre_dir) / f"{case}.pkl")
