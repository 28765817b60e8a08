"""ResNet preprocessing: geometry of resize and crop, and the parallel cache."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
from PIL import Image  # noqa: E402

from vision.resnet50 import demo, preprocess  # noqa: E402


def coordinate_image(path, width, height):
    """Red = column, green = row (mod 256): the crop's origin can be read off its pixels."""
    x, y = np.meshgrid(np.arange(width), np.arange(height))
    rgb = np.stack([x % 256, y % 256, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(path, format="PNG")


def test_an_image_with_short_side_256_is_only_cropped(tmp_path):
    # 256 x 301: no resize; the crop starts at left round(16.0)=16, top round(38.5)=38 (half to even)
    path = tmp_path / "a.JPEG"
    coordinate_image(path, 256, 301)
    out = preprocess.resize_crop(str(path))
    assert out.shape == (224, 224, 3)
    assert out[0, 0, 0] == 16 and out[0, 0, 1] == 38


def test_output_is_normalised_float32_chw(tmp_path):
    path = tmp_path / "b.JPEG"
    Image.fromarray(np.full((300, 400, 3), 255, np.uint8)).save(path, format="PNG")
    out = preprocess.preprocess(str(path))
    assert out.dtype == np.float32 and out.shape == (3, 224, 224)
    expected = (1.0 - np.array(preprocess.MEAN, np.float32)) / np.array(preprocess.STD, np.float32)
    np.testing.assert_allclose(out[:, 0, 0], expected, rtol=1e-6)


def test_undecodable_file_is_named(tmp_path):
    path = tmp_path / "broken.JPEG"
    path.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="broken.JPEG"):
        preprocess.resize_crop(str(path))


def test_parallel_cache_equals_single_process_and_resumes(tmp_path):
    names = demo.write_images(tmp_path / "val", 12, seed=5)
    items = [(n, tmp_path / "val" / n) for n in names]
    assert preprocess.build_cache(items, tmp_path / "one", workers=1) == 12
    assert preprocess.build_cache(items, tmp_path / "two", workers=2) == 12
    for name in names:
        a = np.load(preprocess.cache_path(tmp_path / "one", name))
        b = np.load(preprocess.cache_path(tmp_path / "two", name))
        assert np.array_equal(a, b) and np.array_equal(a, preprocess.preprocess(str(tmp_path / "val" / name)))
    preprocess.cache_path(tmp_path / "two", names[3]).unlink()  # as if the build had been cut
    assert preprocess.build_cache(items, tmp_path / "two", workers=2) == 1
    assert not list((tmp_path / "two").glob("*.tmp*"))
