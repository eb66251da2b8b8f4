"""Pixel figures of image translation, per image then averaged: mean absolute error, PSNR and
SSIM, all on images brought from [-1, 1] to [0, 1].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SSIM_WINDOW, SSIM_SIGMA = 7, 1.5  # a 7×7 Gaussian window: 28×28 images are small
SSIM_C1, SSIM_C2 = 0.01 ** 2, 0.03 ** 2  # Wang et al. (2004), for a data range of 1


def _unit(images: Tensor) -> Tensor:
    return (images.float().clamp(-1, 1) + 1) / 2


def mean_absolute_error(output: Tensor, target: Tensor) -> float:
    """Mean |output - target| in [0, 1] units."""
    return float((_unit(output) - _unit(target)).abs().mean())


def psnr(output: Tensor, target: Tensor) -> float:
    """Mean over images of 10·log10(1 / MSE) in dB (an exact copy scores 100)."""
    mse = (_unit(output) - _unit(target)).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return float((10 * torch.log10(1 / mse)).mean())


def _gaussian_window(channels: int) -> Tensor:
    x = torch.arange(SSIM_WINDOW, dtype=torch.float32) - (SSIM_WINDOW - 1) / 2
    g = torch.exp(-x ** 2 / (2 * SSIM_SIGMA ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, SSIM_WINDOW, SSIM_WINDOW).contiguous()


def ssim(output: Tensor, target: Tensor) -> float:
    """Mean structural similarity (Wang et al., 2004): local means, variances and covariance
    under a Gaussian window (valid positions only), averaged over positions, channels and images."""
    x, y = _unit(output), _unit(target)
    window = _gaussian_window(x.shape[1])

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(t, window, groups=x.shape[1])

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    score = ((2 * mx * my + SSIM_C1) * (2 * cxy + SSIM_C2)) / ((mx ** 2 + my ** 2 + SSIM_C1) * (vx + vy + SSIM_C2))
    return float(score.mean())
