"""Generation metrics on SMILES lists: validity, uniqueness, novelty, and FCD.

Definitions (MOSES / GDSS protocol): validity = valid / all generated; uniqueness =
unique valid / valid; novelty = unique valid not in the training set / unique valid.
FCD uses fcd_torch, whose ChemNet weights ship inside the package (no download).
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from molgan.core.atomic import atomic_write

log = logging.getLogger(__name__)


def basic_metrics(smiles: Sequence[str | None], known: set[str] | frozenset[str]) -> dict[str, float]:
    """Validity over all rows, uniqueness over the valid ones, novelty over the distinct
    valid ones (not in `known`); NaN where the denominator is empty (undefined, not 0).
    `smiles`: canonical SMILES, None or "" for an invalid row."""
    valid = [s for s in smiles if s]
    unique = set(valid)
    nan = float("nan")
    return {
        "validity": len(valid) / len(smiles) if smiles else nan,
        "uniqueness": len(unique) / len(valid) if valid else nan,
        "novelty": len(unique - known) / len(unique) if unique else nan,
    }


class FCDScorer:
    """FCD against fixed reference statistics, computed once and cached on disk.

    Uses `molgan.mol.metrics.evaluation.ChemNet`, as `molgan evaluate` does: activations once per
    distinct molecule, repeats counted as weights (the same statistics as repeating them).
    """

    def __init__(self, reference: Sequence[str], cache: str | Path | None = None,
                 max_reference: int = 10_000, seed: int = 0):
        from molgan.mol.metrics.chemnet import ChemNet

        self.chemnet = ChemNet()
        cache = Path(cache) if cache else None
        if cache is not None and cache.is_file():
            stats = torch.load(cache, weights_only=True)
            self.mu, self.sigma = stats["mu"].numpy(), stats["sigma"].numpy()
            return
        # A random subset: dataset splits are stored in QM9's size-sorted order.
        rng = np.random.default_rng(seed)
        chosen = list(reference)
        if len(chosen) > max_reference:
            chosen = [chosen[i] for i in rng.choice(len(chosen), max_reference, replace=False)]
        log.info("computing FCD reference statistics of %d molecules (once)", len(chosen))
        # fcd_torch's DataLoader draws from torch's RNG: without the fork, a training run on
        # a fresh cache (statistics computed) would differ from one on a cached one.
        with torch.random.fork_rng(devices=[]):
            self.mu, self.sigma = self._statistics(chosen)
        if cache is not None:
            with atomic_write(cache, "wb") as handle:
                torch.save({"mu": torch.from_numpy(self.mu), "sigma": torch.from_numpy(self.sigma)}, handle)

    def _statistics(self, smiles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(smiles)
        activations = self.chemnet.activations(list(counts), threads=None)
        return self.chemnet.statistics(activations, np.array(list(counts.values()), dtype=np.int64))

    def __call__(self, smiles: Iterable[str | None]) -> float:
        valid = [s for s in smiles if s]
        if len(valid) < 2:
            return float("nan")
        return self.chemnet.distance(self.mu, self.sigma, *self._statistics(valid))
