"""Fréchet distance between Gaussians fitted to two feature sets (the FID/FCD formula)."""
from __future__ import annotations

import torch
from torch import Tensor


def gaussian_stats(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean (F,) and covariance (F, F) of features (N, F), in float64."""
    x = features.double()
    return x.mean(0), torch.cov(x.T)


def frechet_distance(mu1: Tensor, cov1: Tensor, mu2: Tensor, cov2: Tensor) -> float:
    """||mu1 - mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)).

    tr((C1 C2)^(1/2)) is computed as the sum of square roots of the eigenvalues of the
    symmetric matrix C1^(1/2) C2 C1^(1/2), which has the same spectrum, so only
    symmetric eigendecompositions are needed (stable, no complex sqrtm).
    """
    values, vectors = torch.linalg.eigh(cov1)
    sqrt1 = vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
    middle = sqrt1 @ cov2 @ sqrt1
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    distance = (mu1 - mu2).pow(2).sum() + torch.trace(cov1) + torch.trace(cov2) - 2 * trace_sqrt
    return float(distance)
