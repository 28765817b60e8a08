"""The images a run saved (``run_dir/images/<idx>.png`` and ``captions.txt`` lines ``<idx>  <caption>``,
as the Stable Diffusion scorer writes them), scaled down and embedded as PNG data URIs."""

from __future__ import annotations

import base64
import io
from pathlib import Path

MAX_SIDE = 256  # pixels: enough to judge an image, small enough to mail the page
MAX_IMAGES = 12


def captions(folder: Path) -> dict[str, str]:
    """``{image stem: caption}`` from captions.txt (absent or unreadable: none)."""
    try:
        text = (folder / "captions.txt").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        stem, _, caption = line.partition("  ")
        if stem.strip():
            out[stem.strip()] = caption.strip()
    return out


def thumbnails(run_dir: str | Path) -> list[tuple[str, str, str]]:
    """``[(image name, caption, data URI)]`` of up to MAX_IMAGES images, in captions.txt order then
    by name; an image PIL cannot read is skipped."""
    from PIL import Image

    folder = Path(run_dir) / "images"
    named = captions(folder)
    files = sorted(folder.glob("*.png"), key=lambda p: (p.stem not in named, list(named).index(p.stem)
                                                         if p.stem in named else 0, p.name))
    out = []
    for path in files[:MAX_IMAGES]:
        try:
            with Image.open(path) as image:
                image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                buffer = io.BytesIO()
                image.save(buffer, "PNG", optimize=True)
        except (OSError, ValueError):
            continue
        uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        out.append((path.name, named.get(path.stem, ""), uri))
    return out
