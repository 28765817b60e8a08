"""RetinaNet model pieces: the code-free checkpoint reader, anchors, NMS semantics, preprocessing."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from harness import torchscript  # noqa: E402
from vision.retinanet import demo, detection, model, preprocess  # noqa: E402

SMALL = {"blocks": (1, 2, 1, 1), "stem": 8, "groups": 2, "width_per_group": 8, "fpn_channels": 8, "num_classes": 5}


def test_a_torchscript_archive_loads_tensor_for_tensor_without_its_code(tmp_path):
    torch.manual_seed(0)
    net = model.RetinaNet(SMALL).eval()
    demo.save_archive(net, tmp_path / "net.pth")
    names = zipfile.ZipFile(tmp_path / "net.pth").namelist()
    assert any("/code/" in n for n in names) and any(n.endswith("/data.pkl") for n in names)
    loaded = model.load(tmp_path / "net.pth")
    assert loaded.shape == SMALL
    expected = net.state_dict()
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in expected.items())
    x = torch.rand(1, 3, 96, 128)
    net.image_size = loaded.image_size = (96, 128)  # no resize to 800: small and quick
    with torch.no_grad():
        assert torch.equal(net.features(x)[2], loaded.features(x)[2])


def test_a_plain_state_dict_loads_with_weights_only(tmp_path):
    net = model.RetinaNet(SMALL)
    torch.save({"model": net.state_dict()}, tmp_path / "ckpt.pth")  # the training checkpoint layout
    assert model.load(tmp_path / "ckpt.pth").shape == SMALL


def test_the_reader_refuses_anything_but_tensors_and_modules(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("code ran",))

    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"weight": Evil()}, protocol=2))
        archive.writestr("evil/code/__torch__.py", "")
    with pytest.raises(pickle.UnpicklingError, match="refusing to load .*print"):
        torchscript.read_weights(path)


def test_a_file_missing_model_tensors_is_named(tmp_path):
    state = model.RetinaNet(SMALL).state_dict()
    del state["backbone.fpn.extra_blocks.p7.weight"]
    torch.save(state, tmp_path / "partial.pth")
    with pytest.raises(ValueError, match="backbone.fpn.extra_blocks.p7.weight"):
        model.load(tmp_path / "partial.pth")


def test_reference_shape_matches_the_published_checkpoint_size():
    state = model.RetinaNet().state_dict()
    assert model.shape_of(state) == model.REFERENCE_SHAPE
    # 37,197,100 float32 values: the 149,037,280-byte archive is these plus its code
    assert sum(v.numel() for v in state.values()) == 37197100


def test_anchors_follow_the_reference_sizes_order_and_integer_strides():
    assert detection.anchor_sizes()[0] == (32, 40, 50) and detection.anchor_sizes()[4] == (512, 645, 812)
    cell = detection.cell_anchors((32, 40, 50))
    assert cell.shape == (9, 4) and cell[0].tolist() == [-23.0, -11.0, 23.0, 11.0]  # ratio 0.5, size 32
    p6 = detection.grid_anchors((800, 800), (13, 13), cell)
    assert p6.shape == (13 * 13 * 9, 4) and p6[9].tolist() == [61 - 23.0, -11.0, 61 + 23.0, 11.0]  # stride 800 // 13


def brute_force_nms(boxes, scores, threshold):
    """torchvision.ops.nms as its CPU kernel defines it: visit by descending score, drop every
    later box whose float32 IoU with a kept one exceeds the threshold."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    b = boxes[order]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    dead = np.zeros(len(order), bool)
    keep = []
    for n in range(len(order)):
        if dead[n]:
            continue
        keep.append(order[n])
        w = np.maximum(np.float32(0), np.minimum(b[n, 2], b[:, 2]) - np.maximum(b[n, 0], b[:, 0]))
        h = np.maximum(np.float32(0), np.minimum(b[n, 3], b[:, 3]) - np.maximum(b[n, 1], b[:, 1]))
        inter = w * h
        over = inter / (area[n] + area - inter) > threshold
        over[: n + 1] = False
        dead |= over
    return keep


@pytest.mark.parametrize("count", [60, 1100])  # the coordinate trick below 1001 boxes, per class above
def test_nms_keeps_what_torchvision_semantics_keep(count):
    gen = torch.Generator().manual_seed(count)
    xy = torch.rand(count, 2, generator=gen) * 300
    boxes = torch.cat([xy, xy + 20 + torch.rand(count, 2, generator=gen) * 80], dim=1)
    scores = torch.rand(count, generator=gen)
    labels = torch.randint(0, 3, (count,), generator=gen)
    single = detection.nms(boxes, scores, 0.5).tolist()
    assert single == brute_force_nms(boxes.numpy(), scores.numpy(), np.float32(0.5))
    kept = detection.batched_nms(boxes, scores, labels, 0.5).tolist()
    expected = []
    for label in range(3):
        members = torch.where(labels == label)[0]
        expected += members[brute_force_nms(boxes[members].numpy(), scores[members].numpy(), 0.5)].tolist()
    assert sorted(kept) == sorted(expected)
    assert kept == sorted(kept, key=lambda i: -scores[i].item())


def test_the_model_returns_sorted_detections_in_input_pixels():
    torch.manual_seed(1)
    net = model.RetinaNet(SMALL, image_size=(64, 64)).eval()  # inputs resized to 64, boxes scaled back
    with torch.no_grad():
        net.head.classification_head.cls_logits.bias.fill_(-2.5)  # some scores above 0.05
        found = net(torch.rand(2, 3, 96, 128))
    for d in found:
        assert 0 < len(d["scores"]) <= 300 and bool((d["scores"][:-1] >= d["scores"][1:]).all())
        assert d["boxes"].shape == (len(d["scores"]), 4) and float(d["boxes"][:, 2].max()) <= 128.0
        assert float(d["boxes"][:, 3].max()) <= 96.0 and float(d["boxes"][:, 2].max()) > 64.0
        assert d["labels"].dtype == torch.int64 and int(d["labels"].max()) < 5


def test_preprocessing_is_float32_rgb_800_resized_before_scaling(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (300, 500, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), bgr)
    cv2.imwrite(str(tmp_path / "g.png"), bgr[:, :, 0])
    out = preprocess.preprocess(str(tmp_path / "a.png"))
    expected = cv2.resize(bgr[:, :, ::-1].astype(np.float32), (800, 800), interpolation=cv2.INTER_LINEAR) / 255.0
    assert out.shape == (3, 800, 800) and out.dtype == np.float32
    assert np.array_equal(out, expected.transpose(2, 0, 1))
    grey = preprocess.preprocess(str(tmp_path / "g.png"))
    assert grey.shape == (3, 800, 800) and np.array_equal(grey[0], grey[2])
    with pytest.raises(ValueError, match="cannot decode"):
        (tmp_path / "bad.jpg").write_bytes(io.BytesIO(b"not an image").read())
        preprocess.preprocess(str(tmp_path / "bad.jpg"))


def test_the_dataset_builder_fetches_over_http_and_writes_upstreams_layout(tmp_path):
    """Public files served from a local HTTP server: CSVs, images, then openimages-mlperf.json."""
    import json

    import cv2
    from http_fixture import serve

    from vision.retinanet import openimages

    site = {"classes.csv": b"/m/0a,Airplane\n/m/0z,Not MLPerf\n/m/0b,Zucchini\n", "boxes.csv": (
        "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
        "bbbb000000000002,xclick,/m/0b,1,0.5,0.75,0.25,1.0,0,0,1,0,0\n"
        "aaaa000000000001,xclick,/m/0a,1,0.0,0.5,0.0,0.5,1,0,0,0,0\n"
        "cccc000000000003,xclick,/m/0z,1,0.0,0.5,0.0,0.5,0,0,0,0,0\n").encode()}
    for name, (h, w) in (("aaaa000000000001", (40, 60)), ("bbbb000000000002", (80, 20))):
        site[f"validation/{name}.jpg"] = cv2.imencode(".jpg", np.full((h, w, 3), 128, np.uint8))[1].tobytes()
    with serve(site) as srv:
        image_url = f"http://127.0.0.1:{srv.port}/validation/{{}}.jpg"
        out = openimages.build(tmp_path / "openimages", workers=2, image_url=image_url,
                               boxes_url=srv.url("boxes.csv"), classes_url=srv.url("classes.csv"))
    data = json.loads(out.read_text())
    assert [(i["id"], i["file_name"], i["height"], i["width"]) for i in data["images"]] == [
        (1, "aaaa000000000001.jpg", 40, 60), (2, "bbbb000000000002.jpg", 80, 20)]
    first, second = data["annotations"]
    assert first["image_id"] == 1 and first["category_id"] == 0 and first["bbox"] == [0.0, 0.0, 30.0, 20.0]
    assert second["category_id"] == 263 and second["bbox"] == [10.0, 20.0, 5.0, 60.0] and second["iscrowd"] == 1
    assert len(data["categories"]) == 264 and data["info"] == {"dataset": "openimages_mlperf", "version": "v6"}
    assert not (tmp_path / "openimages" / "validation" / "data" / "cccc000000000003.jpg").exists()
