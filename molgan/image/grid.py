"""Save image grids as PNG with Pillow (torchvision is not usable beside the CPU torch build)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from torch import Tensor

from molgan.core.atomic import atomic_write


def make_grid(images: Tensor, nrow: int | None = None, padding: int = 2) -> np.ndarray:
    """Images in [-1, 1] (N, C, H, W) -> uint8 array (H', W', C) tiled row by row."""
    count, channels, height, width = images.shape
    nrow = nrow or math.ceil(math.sqrt(count))
    ncol = math.ceil(count / nrow)
    pixels = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().cpu().numpy()
    grid = np.zeros((padding + ncol * (height + padding), padding + nrow * (width + padding), channels), np.uint8)
    for k in range(count):
        row, col = divmod(k, nrow)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[top:top + height, left:left + width] = pixels[k].transpose(1, 2, 0)
    return grid


def save_grid(images: Tensor, path: str | Path, nrow: int | None = None, scale: int = 2) -> None:
    from PIL import Image

    grid = make_grid(images, nrow)
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    with atomic_write(path, "wb") as handle:
        image.save(handle, format="PNG")
