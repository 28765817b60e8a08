"""The QSL side of ResNet50: ImageNet validation images listed in val_map.txt, preprocessed once.

``val_map.txt`` lines are ``<image path relative to the image folder> <0-based label>``; line order
is qsl index order. A missing image is an error here (upstream skips it silently, which shifts
every later qsl index against the labels).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.contract import Dataset
from harness.errors import MissingArtifactError

from . import preprocess


def read_val_map(path) -> list[tuple[str, int]]:
    """``[(image name, label)]`` in file order, as upstream's accuracy script reads it."""
    items = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        cols = line.strip().split()
        if not cols:
            continue
        if len(cols) < 2 or not cols[1].lstrip("-").isdigit():
            raise ValueError(f"{path}:{number}: expected '<image> <label>', got {line!r}")
        items.append((cols[0], int(cols[1])))
    return items


class ImagenetDataset(Dataset):
    def __init__(self, run):
        super().__init__(run)
        items = read_val_map(run.artifact_path("val_map"))
        self.names = [name for name, _ in items]
        self.labels = [label for _, label in items]
        self.image_dir = run.artifact_path("images")
        self.cache_dir = self.image_dir.parent / "preprocessed" / preprocess.VERSION
        self._loaded: dict[int, np.ndarray] = {}

    @property
    def size(self) -> int:
        return len(self.names)

    def prepare(self) -> None:
        names = [self.names[i] for i in self.run.indices]
        missing = [name for name in names if not (self.image_dir / name).is_file()]
        if missing:
            raise MissingArtifactError(
                f"{len(missing)} of {len(names)} images listed in val_map.txt are not in {self.image_dir} "
                f"(first: {missing[0]}). Unpack ILSVRC2012_img_val.tar there (or place the tar at "
                f"{self.image_dir.parent / 'ILSVRC2012_img_val.tar'} and the harness unpacks it).")
        todo = [(name, self.image_dir / name) for name in names]
        done = preprocess.build_cache(todo, self.cache_dir, self.run.config.workers)
        print(f"   preprocessed {done} image(s), {len(names) - done} from the cache {self.cache_dir}")

    def load(self, indices) -> None:
        for i in indices:
            self._loaded[i] = np.load(preprocess.cache_path(self.cache_dir, self.names[i]))

    def unload(self, indices) -> None:
        for i in indices:
            self._loaded.pop(i, None)

    def batch(self, indices) -> np.ndarray:
        """The loaded samples stacked as float32 NCHW."""
        return np.stack([self._loaded[i] for i in indices])
