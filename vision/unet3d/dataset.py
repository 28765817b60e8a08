"""The QSL side of 3D-UNet: the 43 KiTS19 inference cases, preprocessed once into a cache.

Sample ``i`` is ``INFERENCE_CASES[i]``; a run preprocesses the cases of its indices. The cache
folder sits beside the raw data (``<raw>/../preprocessed/<version>-roi<roi>``) in the reference's
layout. Each preprocessed pickle is compared with the reference's MD5; a mismatch is reported (in
the console and in result.json), not fatal, because it can come from a library version as well as
from revised KiTS19 labels. The scorer reads labels and shapes back from that cache, so it needs
no ``prepare`` (a merge of shard runs scores their cache).

A fixture manifest may carry ``"roi"`` (a smaller sliding window for tiny volumes) and
``"checksums"`` (``{case: md5}`` replacing the reference's); real runs use neither.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.contract import Dataset
from harness.errors import MissingArtifactError

from . import store
from .cases import INFERENCE_CASES, REFERENCE_MD5
from .preprocess import ROI

VERSION = "ref-v1"  # bump when preprocessing output can change


def manifest_options(path: str | None) -> dict:
    """The fixture settings a manifest may carry: ``roi`` and ``checksums``."""
    if not path:
        return {}
    options = json.loads(Path(path).read_text())
    roi = int(options.get("roi", ROI))
    if roi < 16 or roi % 2:
        raise ValueError(f"manifest {path}: roi must be an even number of voxels >= 16, got {roi}")
    return {"roi": roi, "checksums": options.get("checksums")}


class KitsDataset(Dataset):
    def __init__(self, run):
        super().__init__(run)
        options = manifest_options(run.config.manifest)
        self.roi = options.get("roi", ROI)
        self.expected_md5 = options.get("checksums") or REFERENCE_MD5
        self.cases = list(INFERENCE_CASES)
        self.raw_dir = run.artifact_path("kits19")
        self.pre_dir = self.raw_dir.parent / "preprocessed" / f"{VERSION}-roi{self.roi}"
        self._loaded: dict[int, np.ndarray] = {}
        if self.roi != ROI and not run.demo:
            print(f"   warning: ROI {self.roi} instead of the reference's {ROI}: results are not comparable")

    @property
    def size(self) -> int:
        return len(self.cases)

    def prepare(self) -> None:
        cases = [self.cases[i] for i in self.run.indices]
        missing = store.missing_raw(self.raw_dir, cases)
        if missing:
            raise MissingArtifactError(
                f"{len(missing)} of {len(cases)} KiTS19 cases have no imaging.nii.gz + segmentation.nii.gz "
                f"under {self.raw_dir} (first: {missing[0]}). Fetch the raw data as README.md says "
                "(git clone https://github.com/neheller/kits19, then python -m starter_code.get_imaging).")
        done = store.build(self.raw_dir, self.pre_dir, cases, self.roi, self.run.config.workers)
        print(f"   preprocessed {len(done)} case(s), {len(cases) - len(done)} from the cache {self.pre_dir}")
        store.write_index(self.pre_dir, INFERENCE_CASES, store.records(self.pre_dir, self._built()))
        mismatches = self.checksum_mismatches(cases)
        if mismatches:
            print(f"   warning: {len(mismatches)} of {len(cases)} preprocessed case(s) differ from "
                  f"the reference checksums (first: {mismatches[0]}); see README.md")

    def _built(self) -> list[str]:
        return [c for c in INFERENCE_CASES if (self.pre_dir / "aux" / f"{c}.json").is_file()]

    def load(self, indices) -> None:
        for i in indices:
            if i not in self._loaded:
                self._loaded[i] = store.load_case(self.pre_dir, self.cases[i])[0]

    def unload(self, indices) -> None:
        for i in indices:
            self._loaded.pop(i, None)

    def image(self, index: int) -> np.ndarray:
        """The loaded (1, D, H, W) float32 input of sample ``index``."""
        return self._loaded[index]

    def label(self, index: int) -> np.ndarray:
        """The preprocessed (1, D, H, W) uint8 ground truth of sample ``index`` (read on demand)."""
        return store.load_case(self.pre_dir, self.cases[index])[1]

    def image_shape(self, index: int) -> tuple[int, ...]:
        """The preprocessed volume's shape, from the case's record in the cache."""
        case = self.cases[index]
        return tuple(store.records(self.pre_dir, [case])[case]["image_shape"])

    def checksum_mismatches(self, cases) -> list[str]:
        """Those of the (preprocessed) ``cases`` whose pickle differs from the expected MD5."""
        return store.checksum_mismatches(store.records(self.pre_dir, cases), self.expected_md5)
