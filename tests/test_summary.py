"""`make summary`: one row per checker key and metric, with what the checker needs."""

from __future__ import annotations

import json

from harness import summary


def write_result(folder, name, started, targets, demo=False):
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps({
        "benchmark": name, "started": started, "demo": demo, "verdict": "FAIL", "run_dir": str(folder),
        "config": {"scenario": "Offline", "data_type": "float32", "n_count": 5000}, "targets": targets}))


def test_the_newest_run_per_benchmark_with_its_keys_and_windows(tmp_path):
    sdxl = [
        {"key": "stable-diffusion-xl", "metric": "CLIP_SCORE", "value": 31.7, "reference": 31.7498184,
         "threshold": 31.68631873, "upper_limit": 31.81331801, "ratio_percent": 99.84, "pass": True},
        {"key": "stable-diffusion-xl", "metric": "FID_SCORE", "value": 24.1, "reference": 23.4804669,
         "threshold": 23.01085758, "upper_limit": 23.95007626, "ratio_percent": 102.6, "pass": False},
    ]
    write_result(tmp_path / "stablediffusion/Offline/float32/old", "sdxl", "2026-11-29T00:00:00Z", [])
    write_result(tmp_path / "stablediffusion/Offline/float32/new", "sdxl", "2026-11-30T00:00:00Z", sdxl)
    write_result(tmp_path / "dlrm-v2/Offline/float32/run", "dlrm_v2", "2026-11-30T00:00:00Z", [
        {"key": "dlrm-v2-99", "metric": "AUC", "value": 80.3, "reference": 80.31, "threshold": 79.5069,
         "upper_limit": None, "ratio_percent": 99.99, "pass": True},
        {"key": "dlrm-v2-99.9", "metric": "AUC", "value": 80.3, "reference": 80.31, "threshold": 80.22969,
         "upper_limit": None, "ratio_percent": 99.99, "pass": True}], demo=True)
    rows = summary.rows(summary.latest_results(str(tmp_path)))
    assert [(r[0], r[2], r[3], r[5], r[8]) for r in rows] == [
        # rows carry the make name (the run folder's), not the internal id
        ("dlrm-v2", "dlrm-v2-99", "AUC", ">= 79.5069", "PASS (demo)"),
        ("dlrm-v2", "dlrm-v2-99.9", "AUC", ">= 80.22969", "PASS (demo)"),
        ("stablediffusion", "stable-diffusion-xl", "CLIP_SCORE", "[31.68631873, 31.81331801]", "PASS"),
        ("stablediffusion", "stable-diffusion-xl", "FID_SCORE", "[23.01085758, 23.95007626]", "FAIL"),
    ]
    assert all(r[9] in ("new", "run") for r in rows)
