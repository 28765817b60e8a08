"""3D-UNet preprocessing, pickles, model and sliding window against the reference's known values."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import types

import numpy as np
import pytest
from unet3d_fixture import unet3d_fixture  # noqa: F401 - the fixture

from harness.pickles import RefusedPickle
from vision.unet3d import preprocess, safe_pickle
from vision.unet3d.cases import INFERENCE_CASES, REFERENCE_MD5


def test_case_list_and_checksum_manifest():
    assert len(INFERENCE_CASES) == 43 and INFERENCE_CASES[0] == "case_00000" and INFERENCE_CASES[-1] == "case_00400"
    assert REFERENCE_MD5["case_00000"] == "470ec60377be417a9c271ffd81c1d610"
    assert REFERENCE_MD5["case_00400"] == REFERENCE_MD5["case_00185"] == "2ae858449b63e2fe4466c29087540e9c"


@pytest.mark.parametrize("shape,expected", [((100, 300, 300), (128, 320, 320)), ((190, 392, 392), (192, 384, 384)),
                                            ((64, 500, 513), (128, 512, 512)), ((160, 224, 224), (192, 256, 256))])
def test_window_friendly_shapes_of_the_reference(shape, expected):
    assert preprocess.window_friendly_shape(shape, 128) == expected
    volume = np.zeros((1, *shape), np.float32)
    assert preprocess.fit_to_windows(preprocess.pad_to_roi(volume, 128), 128, -2.2).shape[1:] == expected


def test_padding_and_cropping_values():
    volume = np.arange(1 * 3 * 4 * 5, dtype=np.float32).reshape(1, 3, 4, 5)
    padded = preprocess.pad_to_roi(volume, 6)  # edge mode, the extra split floor/ceil
    assert padded.shape == (1, 6, 6, 6) and padded[0, 0, 0, 0] == volume[0, 0, 0, 0]
    fitted = preprocess.fit_to_windows(np.zeros((1, 17, 20, 33), np.float32), 16, -2.2)
    assert fitted.shape == (1, 16, 24, 32)  # stride 8. 17: crop 1; 20: pad 4 (2 before); 33: crop 1
    assert fitted[0, 0, 0, 0] == np.float32(-2.2) and fitted[0, 0, 2, 4] == 0
    assert preprocess.normalise(np.array([-1000.0, 101.0, 1000.0], np.float32)).dtype == np.float32


def test_reshaped_affine_keeps_signs_and_translation():
    affine = np.array([[0, 0, -0.8, 10], [0, -0.8, 0, 20], [-3.0, 0, 0, 30], [0, 0, 0, 1]])
    assert preprocess.reshaped_affine(affine).tolist() == [[0, 0, -1.2, 10], [0, -1.2, 0, 20], [-1.6, 0, 0, 30],
                                                          [0, 0, 0, 1]]


def test_pickles_have_numpy_1_bytes_and_load_without_code():
    image = (np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4) / 7).astype(np.float32)
    label = (np.arange(24).reshape(1, 2, 3, 4) % 3).astype(np.uint8)
    data = safe_pickle.dumps([image, label])
    # pickle.dumps of the same list under numpy 1.26.4 (Python 3.11) has this MD5
    assert hashlib.md5(data).hexdigest() == "f23180b4bc9fd1dda63bea497c3b75b7"
    back = safe_pickle.loads(data)
    assert np.array_equal(back[0], image) and back[1].dtype == np.uint8
    assert np.array_equal(safe_pickle.loads(pickle.dumps({"x": np.eye(2)}))["x"], np.eye(2))  # numpy 2 names too
    evil = pickle.dumps(types.SimpleNamespace(a=1))
    with pytest.raises(RefusedPickle, match="refusing to unpickle: it names types.SimpleNamespace"):
        safe_pickle.loads(evil)


def test_reference_model_layout_and_checkpoint_loading(tmp_path):
    torch = pytest.importorskip("torch")
    from vision.unet3d import model

    full = model.Unet3D()
    assert sum(p.numel() for p in full.parameters()) == 31_190_243
    keys = set(full.state_dict())
    assert {"input_block.conv1.0.weight", "downsample.3.conv2.1.bias", "bottleneck.conv1.0.weight",
            "upsample.0.upsample_conv.0.bias", "upsample.4.conv2.0.weight", "output.conv.0.weight"} <= keys
    # a checkpoint as the reference training saved it: numpy-1 pickled float32 scores beside the weights
    small = model.Unet3D(filters=(2, 4))
    legacy = types.SimpleNamespace(Pickler=safe_pickle.LegacyNumpyPickler, __name__="legacy")
    path = tmp_path / "ckpt.pth"
    torch.save({"best_model_state_dict": small.state_dict(), "mean_dice": np.float32(0.86), "epoch": 3}, path,
               pickle_module=legacy)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)  # the plain safe loader refuses numpy scalars
    loaded = model.load(str(path))
    assert model.shape_of(loaded.state_dict())["filters"] == (2, 4)


def test_gaussian_patch_and_windows_of_the_reference():
    from vision.unet3d.sliding_window import gaussian_patch, window_origins

    patch = gaussian_patch(128)
    assert patch.dtype == np.float32 and patch.max() == 1.0 and patch[63, 64, 63] == 1.0
    assert patch.min() == pytest.approx(3.8013e-4, rel=1e-4) and patch[0, 0, 0] == patch.min()
    origins = window_origins((192, 384, 384), 128)
    assert len(origins) == 50 and origins[:2] == [(0, 0, 0), (0, 0, 64)] and origins[-1] == (64, 256, 256)


def test_sliding_window_equals_the_literal_reference(unet3d_fixture):
    torch = pytest.importorskip("torch")
    from vision.unet3d import model, store
    from vision.unet3d.sliding_window import SlidingWindow

    net = model.load(str(unet3d_fixture["folder"] / "unet3d_tiny.pt"))
    window = SlidingWindow(net, 32, torch.device("cpu"), torch.float32, 1)
    for case in unet3d_fixture["cases"]:
        image = store.load_case(unet3d_fixture["preprocessed"], case)[0]
        ours = window.segment(image)
        assert ours.dtype == np.uint8 and ours.shape == (1, 1, *image.shape[1:])
        assert np.array_equal(ours, unet3d_fixture["predictions"][case])
    # several windows per pass: the model's own rounding may flip a voxel whose classes nearly tie
    batched = SlidingWindow(net, 32, torch.device("cpu"), torch.float32, 5).segment(image)
    assert np.mean(batched == unet3d_fixture["predictions"][case]) > 0.999


def test_case_00400_is_read_from_case_00185(unet3d_fixture, tmp_path):
    from vision.unet3d import store

    raw = tmp_path / "raw"
    shutil.copytree(unet3d_fixture["folder"] / "kits19" / "data" / "case_00003", raw / "case_00185")
    assert store.missing_raw(raw, ["case_00185", "case_00400", "case_00000"]) == ["case_00000"]
    store.build(raw, tmp_path / "pre", ["case_00185", "case_00400"], 32, workers=2)
    records = store.records(tmp_path / "pre", ["case_00185", "case_00400"])
    assert records["case_00185"]["md5"] == records["case_00400"]["md5"]
    assert records["case_00400"]["image_shape"] == [1, 32, 32, 32]
    assert store.checksum_mismatches(records, {"case_00400": records["case_00185"]["md5"], "case_00185": "0"}) == \
        ["case_00185"]
