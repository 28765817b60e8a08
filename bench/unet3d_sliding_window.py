"""3D-UNet sliding window: several ROI windows per forward pass vs one at a time (the reference).

Runs the reference-size 3D U-Net (random weights) over a synthetic preprocessed volume, timing
``SlidingWindow.segment`` with ``--windows`` windows per pass against one window per pass, and
checks that the labels agree (the sums are taken in the same order; only the model's own
kernels can round differently with a larger batch). On a CPU the default is a 64-voxel ROI to
keep the run short; on a GPU use ``--roi 128`` (the reference's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roi", type=int, default=None, help="window side (default 128 on GPU, 64 on CPU)")
    parser.add_argument("--windows", type=int, default=4, help="windows per forward pass for 'ours'")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    import torch

    from harness.torch_device import resolve_device
    from vision.unet3d.model import Unet3D
    from vision.unet3d.sliding_window import SlidingWindow

    device = resolve_device(args.device)
    roi = args.roi or (128 if device.type == "cuda" else 64)
    if roi < 64:
        raise SystemExit("--roi must be >= 64: the five stride-2 levels need a bottleneck of more than one voxel")
    torch.manual_seed(0)
    model = Unet3D().eval().to(device)
    shape = (roi, 2 * roi, 2 * roi)  # 1 x 3 x 3 = 9 windows
    image = np.random.default_rng(0).normal(0, 1, (1, *shape)).astype(np.float32)

    def timed(per_pass: int) -> tuple[float, np.ndarray]:
        window = SlidingWindow(model, roi, device, torch.float32, per_pass)
        labels = window.segment(image)  # warm-up: kernel selection, allocations
        runs = []
        for _ in range(args.repeats):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            labels = window.segment(image)
            runs.append(window.windows(image) / (time.perf_counter() - start))
        return statistics.median(runs), labels

    base, base_labels = timed(1)
    ours, ours_labels = timed(args.windows)
    agree = float(np.mean(base_labels == ours_labels))
    print(f"3D-UNet sliding window on {device}, ROI {roi}, volume {shape}, 9 windows, reference-size model, "
          f"windows/s, median of {args.repeats}")
    print(f"  {f'{args.windows} windows per pass':<22} {ours:>8.3f}")
    print(f"  {'1 window per pass':<22} {base:>8.3f}   (the reference)")
    print(f"  ratio ours/baseline    {ours / base:.3f}   labels identical: {agree == 1.0} "
          f"(agreement {agree:.6f})")
    print(json.dumps({"bench": "unet3d_sliding_window", "ours": round(ours, 4), "baseline": round(base, 4),
                      "ratio": round(ours / base, 4), "unit": "windows/s"}))


if __name__ == "__main__":
    main()
