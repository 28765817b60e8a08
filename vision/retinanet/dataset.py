"""The QSL side of RetinaNet: the images of the MLPerf OpenImages annotation file, in its order.

qsl index i is the i-th entry of the JSON's ``images`` list, as upstream's loader and accuracy
script both assume. A listed image that is missing is an error here (upstream skips it, which
shifts every later index against the annotations). Samples are preprocessed when LoadGen loads
them (a few threads; OpenCV releases the GIL), not cached on disk: upstream's cache of
preprocessed arrays needs about 190 GB for the full set.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from harness.contract import Dataset
from harness.errors import MissingArtifactError

from .preprocess import preprocess


def read_images(annotations) -> list[dict]:
    """The ``images`` entries of a COCO-style annotation file, in file order."""
    with open(annotations) as handle:
        data = json.load(handle)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list) or not images:
        raise ValueError(f"{annotations} has no 'images' list: is it openimages-mlperf.json?")
    return images


class OpenImagesDataset(Dataset):
    def __init__(self, run):
        super().__init__(run)
        self.annotations = run.artifact_path("annotations")
        self.names = [image["file_name"] for image in read_images(self.annotations)]
        self.image_dir = run.artifact_path("images")
        self.workers = max(1, min(run.config.workers, 16))
        self._loaded: dict[int, np.ndarray] = {}

    @property
    def size(self) -> int:
        return len(self.names)

    def prepare(self) -> None:
        names = [self.names[i] for i in self.run.indices]
        missing = [name for name in names if not (self.image_dir / name).is_file()]
        if missing:
            raise MissingArtifactError(
                f"{len(missing)} of {len(names)} images listed in {self.annotations.name} are not in "
                f"{self.image_dir} (first: {missing[0]}). Fetch them with "
                "`python -m vision.retinanet.build_dataset --dataset-dir <data>/openimages` (see its README).")
        print(f"   {len(names)} images in {self.image_dir}; preprocessed as LoadGen loads them")

    def load(self, indices) -> None:
        todo = [i for i in indices if i not in self._loaded]
        paths = [str(self.image_dir / self.names[i]) for i in todo]
        if self.workers > 1 and len(paths) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                arrays = list(pool.map(preprocess, paths))
        else:
            arrays = [preprocess(p) for p in paths]
        self._loaded.update(zip(todo, arrays))

    def unload(self, indices) -> None:
        for i in indices:
            self._loaded.pop(i, None)

    def batch(self, indices) -> np.ndarray:
        """The loaded samples stacked as float32 NCHW."""
        return np.stack([self._loaded[i] for i in indices])
