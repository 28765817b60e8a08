"""The OpenImages calibration-set builder against a local HTTP server: files, JSON, resume, errors."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

pytest.importorskip("cv2")

import cv2  # noqa: E402
from http_fixture import serve  # noqa: E402

from harness.fetch import FetchError  # noqa: E402
from vision.retinanet import build_dataset, calibration, openimages  # noqa: E402
from vision.retinanet.classes import CLASSES  # noqa: E402

A, B, C, OTHER = "ffff000000000001", "1111000000000002", "aaaa000000000003", "dddd000000000004"
LIST = f"{A}.jpg\n{B}.jpg\n{C}.jpg".encode()  # upstream's file has no final newline either
CLASSES_CSV = b"/m/0a,Airplane\n/m/0z,Not MLPerf\n/m/0b,Zucchini\n"
BOXES_CSV = (
    "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
    f"{A},xclick,/m/0b,1,0.5,0.75,0.25,1.0,0,1,1,0,0\n"
    f"{OTHER},xclick,/m/0a,1,0.0,0.5,0.0,0.5,0,0,0,0,0\n"
    f"{C},xclick,/m/0z,1,0.0,0.5,0.0,0.5,0,0,0,0,0\n"
    f"{B},xclick,/m/0a,1,0.0,0.5,0.0,0.5,1,0,0,0,0\n"
    f"{A},activemil,/m/0a,1,0.25,0.5,0.5,0.75,0,0,0,1,1\n").encode()
SHAPES = {A: (40, 60), B: (80, 20), C: (30, 30)}


def _jpeg(height: int, width: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((height, width, 3), 128, np.uint8))
    assert ok
    return data.tobytes()


def _site(skip: str | None = None) -> dict[str, bytes]:
    files = {"list.txt": LIST, "classes.csv": CLASSES_CSV, "boxes.csv": BOXES_CSV}
    files.update({f"train/{i}.jpg": _jpeg(*hw) for i, hw in SHAPES.items() if i != skip})
    return files


def _build(srv, root, **overrides):
    urls = dict(list_url=srv.url("list.txt"), list_sha256=hashlib.sha256(LIST).hexdigest(), list_count=3,
                boxes_url=srv.url("boxes.csv"), classes_url=srv.url("classes.csv"),
                image_url=f"http://127.0.0.1:{srv.port}/train/{{}}.jpg")
    urls.update(overrides)
    return calibration.build(root, workers=2, **urls)


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _box(ann_id, image_id, category, bbox, occluded=0, truncated=0, group=0, depiction=0, inside=0):
    return {"id": ann_id, "image_id": image_id, "category_id": category, "bbox": bbox, "area": bbox[2] * bbox[3],
            "iscrowd": group, "IsOccluded": occluded, "IsInside": inside, "IsDepiction": depiction,
            "IsTruncated": truncated, "IsGroupOf": group}


def test_builds_upstreams_layout_and_json_then_resumes_without_fetching(tmp_path, capsys):
    root = tmp_path / "openimages"
    site = _site()
    with serve(site) as srv:
        out = _build(srv, root)
        first = len(srv.requests)
        assert sorted(r.path for r in srv.requests) == sorted(
            ["/list.txt", "/boxes.csv", "/classes.csv"] + [f"/train/{i}.jpg" for i in SHAPES])
        assert out == root / "annotations" / "openimages-calibration-mlperf.json"
        assert _files(root) == [
            "annotations/class-descriptions-boxable.csv", "annotations/oidv6-train-annotations-bbox.csv",
            "annotations/openimages-calibration-mlperf.json", "annotations/openimages_cal_images_list.txt",
            f"calibration/data/{B}.jpg", f"calibration/data/{C}.jpg", f"calibration/data/{A}.jpg"]
        for image_id in SHAPES:
            assert (root / "calibration" / "data" / f"{image_id}.jpg").read_bytes() == site[f"train/{image_id}.jpg"]
        assert (root / "annotations" / "openimages_cal_images_list.txt").read_bytes() == LIST
        assert (root / "annotations" / "oidv6-train-annotations-bbox.csv").read_bytes() == BOXES_CSV
        written = out.read_bytes()
        assert json.loads(written) == {
            "info": {"dataset": "openimages_mlperf", "version": "v6"},
            "licenses": [],
            "categories": [{"id": i, "name": n, "supercategory": None} for i, n in enumerate(CLASSES)],
            "images": [  # numbered by first occurrence in the CSV; C has no MLPerf box, OTHER is not listed
                {"id": 1, "file_name": f"{A}.jpg", "height": 40, "width": 60, "license": None, "coco_url": None},
                {"id": 2, "file_name": f"{B}.jpg", "height": 80, "width": 20, "license": None, "coco_url": None}],
            "annotations": [
                _box(1, 1, 263, [30.0, 10.0, 15.0, 30.0], truncated=1, group=1),
                _box(2, 2, 0, [0.0, 0.0, 10.0, 40.0], occluded=1),
                _box(3, 1, 0, [15.0, 20.0, 15.0, 10.0], depiction=1, inside=1)]}
        assert "3 calibration images, 2 with 3 boxes" in capsys.readouterr().out

        _build(srv, root)  # everything present: nothing is fetched, the JSON comes out the same
        assert len(srv.requests) == first
        assert out.read_bytes() == written

        (root / "calibration" / "data" / f"{B}.jpg").unlink()
        _build(srv, root)  # only the missing image is fetched again
        assert [r.path for r in srv.requests[first:]] == [f"/train/{B}.jpg"]
        assert out.read_bytes() == written and not list(root.rglob("*.part"))


def test_a_missing_image_is_a_clear_error_naming_it(tmp_path):
    root = tmp_path / "openimages"
    with serve(_site(skip=C)) as srv, pytest.raises(FetchError) as caught:
        _build(srv, root)
    message = str(caught.value)
    assert "1 of 3 images could not be fetched" in message and f"{C}:" in message and "HTTP 404" in message
    assert A not in message and B not in message
    assert sorted(p.name for p in (root / "calibration" / "data").iterdir()) == [f"{B}.jpg", f"{A}.jpg"]
    assert not (root / "annotations" / "openimages-calibration-mlperf.json").exists()


def test_the_list_is_checked_against_its_sha256_and_its_format(tmp_path):
    root = tmp_path / "openimages"
    with serve(_site()) as srv:
        with pytest.raises(FetchError, match="sha256 differs"):
            _build(srv, root, list_sha256="0" * 64)
        assert not (root / "annotations" / "openimages_cal_images_list.txt").exists()
        with pytest.raises(FetchError, match="3 names, expected 500"):
            _build(srv, root, list_count=500)
    (root / "annotations" / "openimages_cal_images_list.txt").write_bytes(LIST + b"\nbad name.jpg")
    with pytest.raises(FetchError, match="sha256 differs"):  # a changed local copy is caught too
        _build(srv, root)
    with pytest.raises(FetchError, match="not an Open Images name"):
        calibration.read_list(root / "annotations" / "openimages_cal_images_list.txt", None)


def test_the_upstream_list_is_pinned_to_a_commit_with_its_checksum():
    assert calibration.UPSTREAM_COMMIT in calibration.LIST_URL
    assert calibration.LIST_URL.endswith("/calibration/openimages/openimages_cal_images_list.txt")
    assert len(calibration.LIST_SHA256) == 64 and calibration.LIST_COUNT == 500
    assert calibration.IMAGE_URL == openimages.IMAGE_URL.replace("/validation/", "/train/")


def test_the_command_line_flag_selects_the_calibration_build(tmp_path, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(calibration, "build", lambda root, workers: seen.append((root, workers)))
    assert build_dataset.main(["--dataset-dir", str(tmp_path), "--calibration", "--workers", "3"]) == 0
    assert seen == [(tmp_path, 3)]

    def fail(root, workers):
        raise FetchError(f"1 of 500 images could not be fetched into {root}:\n  {C}: HTTP 404")

    monkeypatch.setattr(calibration, "build", fail)
    assert build_dataset.main(["--dataset-dir", str(tmp_path), "--calibration"]) == 1
    assert "error: 1 of 500 images could not be fetched" in capsys.readouterr().err
