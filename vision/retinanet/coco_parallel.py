"""COCOeval's per-image evaluation spread over processes, with the same result as one process.

``COCOeval.evaluate`` scores every (category, area range, image) cell independently and keeps the
cells ordered by category, then area range, then image id. Each worker evaluates a contiguous run
of the sorted image ids for every category; interleaving the workers' cells block by block
rebuilds exactly the list one process would build, so ``accumulate`` and ``summarize`` then run
unchanged. (Splitting by category instead is slower: pycocotools scans every image's boxes per
category subset.) Workers are forked (they inherit the ground
truth and detections instead of receiving copies); where forking is not safe (``harness.pool``),
or for one worker, the same runs of images are evaluated one after another in this process, so
that the progress line can count images either way.
"""

from __future__ import annotations

import contextlib
import copy
import io
import time

import numpy as np

from harness import pool as processes
from harness import progress

TASKS_PER_WORKER = 4  # several runs of images per worker even out the uneven images
TASKS_IN_PROCESS = 20  # one process: runs of images only for the progress line (5% each)

_shared = None  # the COCOeval a forked worker reads (set just before the pool starts)


def _evaluate_images(img_ids: list[int]) -> list:
    evaluator = copy.copy(_shared)
    evaluator.params = copy.deepcopy(_shared.params)
    evaluator.params.imgIds = list(img_ids)
    with contextlib.redirect_stdout(io.StringIO()):  # each worker would print pycocotools' banner
        evaluator.evaluate()
    return evaluator.evalImgs


def _evaluated(tasks: list[list[int]], workers: int):
    """Each task's cells, in task order, as they are ready: from forked helpers, or from this process."""
    if workers == 1:
        yield from map(_evaluate_images, tasks)
        return
    with processes.executor(min(workers, len(tasks))) as pool:
        yield from pool.map(_evaluate_images, tasks)


def evaluate(evaluator, workers: int, out=print) -> None:
    """``evaluator.evaluate()``, in ``workers`` processes when that can help."""
    params = evaluator.params
    img_ids = list(np.unique(params.imgIds))
    if len(img_ids) < 2:
        with route_prints(out):
            evaluator.evaluate()
        return
    parallel = workers > 1 and processes.fork_is_safe()  # helpers share the evaluator
    global _shared
    began = time.time()
    out("Running per image evaluation...")
    out(f"Evaluate annotation type *{params.iouType}*")
    params.imgIds = img_ids
    if params.useCats:
        params.catIds = list(np.unique(params.catIds))
    params.maxDets = sorted(params.maxDets)
    size = -(-len(img_ids) // (workers * TASKS_PER_WORKER if parallel else TASKS_IN_PROCESS))
    tasks = [img_ids[i:i + size] for i in range(0, len(img_ids), size)]
    _shared = evaluator
    parts = []
    try:  # fork_is_safe() held above, so any helpers are forked and inherit _shared
        with progress.bar("COCO eval", len(img_ids), " images") as shown:
            for task, part in zip(tasks, _evaluated(tasks, workers if parallel else 1)):
                parts.append(part)
                shown.update(len(task))
    finally:
        _shared = None
    blocks = (len(params.catIds) if params.useCats else 1) * len(params.areaRng)
    cells = []
    for block in range(blocks):  # category x area range, then the image runs in id order
        for task, part in zip(tasks, parts):
            cells.extend(part[block * len(task):(block + 1) * len(task)])
    evaluator.evalImgs = cells
    evaluator._paramsEval = copy.deepcopy(params)
    out(f"DONE (t={time.time() - began:0.2f}s).")


def route_prints(out):
    """pycocotools prints; send its lines to ``out`` (unchanged when ``out`` is print itself)."""
    return contextlib.nullcontext() if out is print else contextlib.redirect_stdout(_Printer(out))


class _Printer(io.TextIOBase):
    """A stdout that hands each printed line to ``out`` (print, or a sink that drops it)."""

    def __init__(self, out):
        self.out, self.pending = out, ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.out(line)
        return len(text)
