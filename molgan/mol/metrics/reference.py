"""Reference sets for `molgan evaluate`, with their statistics cached on disk.

`qm9`: novelty against QM9's training split, distributions (FCD, SNN, Frag, Scaf,
property distances, KL) against its whole test split. A SMILES file: novelty against all
of its valid molecules, distributions against them, or a fixed random 10,000 of them
(seed 0) when there are more. Statistics are computed once (ChemNet activations are the
slow part) and cached beside the dataset cache, keyed by the file's content.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from molgan.core.atomic import atomic_write
from molgan.errors import InputError
from molgan.mol.metrics.evaluation import (
    ChemNet,
    ReferenceStats,
    canonicalize_all,
    profile_with_activations,
    weighted_counts,
)
from molgan.mol.metrics.profiles import FP_BITS
from molgan.mol.metrics.similarity import BitSets, tanimoto_reduce

log = logging.getLogger(__name__)

REFERENCE_VERSION = 2
MAX_DISTRIBUTION = 10_000


class ReferenceSource:
    """Where a reference's molecules come from: `known` (novelty) and `distribution()`."""

    def __init__(self, spec: str, data_dir: str | Path | None = None, smiles_column: str | None = None,
                 progress: bool = True):
        self.spec, self.name = spec, spec
        self._known: frozenset[str] | None = None
        if spec == "qm9":
            from molgan.mol.data.dataset import open_mol_dataset

            self._train = open_mol_dataset("qm9", data_dir=data_dir, progress=progress)
            self._test = open_mol_dataset("qm9", data_dir=data_dir, split="test", progress=progress,
                                          report_skips=False)
            self.cache = Path(self._test.processed_dir) / f"evaluation_reference_v{REFERENCE_VERSION}.pt"
        else:
            from molgan.mol.data.dataset import _file_digest, default_data_dir
            from molgan.mol.data.sources import read_smiles_file

            path = Path(spec)
            self._records = read_smiles_file(path, smiles_column)  # InputError on a bad file, before any work
            digest = _file_digest(path)[:16]
            self.cache = Path(data_dir or default_data_dir()) / "references" / f"{digest}-v{REFERENCE_VERSION}.pt"
            self._valid: list[str] | None = None

    @property
    def known(self) -> frozenset[str] | None:
        """Molecules that are not novel; None for a file not yet read (the cache holds them)."""
        if self.spec == "qm9" and self._known is None:
            self._known = frozenset(self._train.smiles)
        return self._known

    def distribution(self) -> list[str]:
        if self.spec == "qm9":
            return list(self._test.smiles)
        if self._valid is None:
            canonical, _ = canonicalize_all(self._records.smiles)
            self._valid = [s for s in canonical if s]
            if not self._valid:
                raise InputError(f"{self.spec}: no valid molecules to use as a reference")
            if len(self._valid) < len(canonical):
                log.warning("reference %s: %d of %d rows are not valid molecules and are left out",
                            self.spec, len(canonical) - len(self._valid), len(self._records))
            self._known = frozenset(self._valid)
        valid = self._valid
        if len(valid) > MAX_DISTRIBUTION:
            rng = np.random.default_rng(0)
            valid = [valid[i] for i in sorted(rng.choice(len(valid), MAX_DISTRIBUTION, replace=False))]
        return valid


def load_reference(spec: str, data_dir: str | Path | None = None, smiles_column: str | None = None,
                   chemnet: ChemNet | None = None, workers: int = 1, progress: bool = True) -> ReferenceStats:
    source = ReferenceSource(spec, data_dir, smiles_column, progress)
    if source.cache.is_file():
        stats = _load(source.cache, source.name, source.known)
        if stats is not None:
            return stats
    distribution = source.distribution()
    log.info("computing reference statistics of %d molecules from %s (once; cached in %s)",
             len(distribution), source.name, source.cache)
    stats = build_reference(source.name, source.known, distribution, chemnet or ChemNet(), workers, progress)
    _save(source.cache, stats)
    return stats


def build_reference(name: str, known: frozenset[str], distribution: list[str], chemnet: ChemNet,
                    workers: int = 1, progress: bool = False) -> ReferenceStats:
    counts: dict[str, int] = {}
    for s in distribution:
        counts[s] = counts.get(s, 0) + 1
    unique = list(counts)
    weights = np.array([counts[s] for s in unique], dtype=np.int64)
    profiles, activations, _ = profile_with_activations(unique, chemnet, workers, progress)
    rows = np.repeat(np.arange(len(unique)), weights)  # property distributions keep duplicates
    kl_bits = profiles.bitsets(kl=True)
    nearest = tanimoto_reduce(kl_bits, kl_bits, "max", exclude_self=True)
    mu, sigma = ChemNet.statistics(activations, weights)
    return ReferenceStats(
        name=name, known=known, size=len(distribution),
        properties=profiles.properties[rows], descriptors=profiles.descriptors,
        fingerprints=profiles.bitsets(), nearest_similarity=nearest,
        fragments=weighted_counts(profiles.fragments, weights),
        scaffolds=weighted_counts([[s] for s in profiles.scaffolds], weights),
        fcd_mu=mu, fcd_sigma=sigma, structure_mean=weights @ profiles.structure / weights.sum())


def _save(path: Path, stats: ReferenceStats) -> None:
    fp = stats.fingerprints
    payload = {
        "version": REFERENCE_VERSION, "name": stats.name, "size": stats.size,
        "known": sorted(stats.known) if stats.name != "qm9" else None,
        "properties": torch.from_numpy(stats.properties), "descriptors": torch.from_numpy(stats.descriptors),
        "fp_indices": torch.from_numpy(fp.indices), "fp_counts": torch.from_numpy(fp.counts),
        "nearest": torch.from_numpy(stats.nearest_similarity),
        "fragments": stats.fragments, "scaffolds": stats.scaffolds,
        "fcd_mu": torch.from_numpy(stats.fcd_mu), "fcd_sigma": torch.from_numpy(stats.fcd_sigma),
        "structure_mean": torch.from_numpy(stats.structure_mean),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "wb") as handle:
            torch.save(payload, handle)
    except OSError as exc:  # a read-only cache only costs time
        log.warning("could not cache reference statistics in %s (%s)", path, exc.strerror)


def _load(path: Path, name: str, known: frozenset[str] | None) -> ReferenceStats | None:
    try:
        data = torch.load(path, weights_only=True)
        return ReferenceStats(
            name=name, known=known if known is not None else frozenset(data["known"]), size=int(data["size"]),
            properties=data["properties"].numpy(), descriptors=data["descriptors"].numpy(),
            fingerprints=BitSets.from_counts(data["fp_indices"].numpy(), data["fp_counts"].numpy(), FP_BITS),
            nearest_similarity=data["nearest"].numpy(), fragments=data["fragments"], scaffolds=data["scaffolds"],
            fcd_mu=data["fcd_mu"].numpy(), fcd_sigma=data["fcd_sigma"].numpy(),
            structure_mean=data["structure_mean"].numpy())
    except Exception as exc:  # unreadable or from another version: rebuild it
        log.warning("ignoring unreadable reference cache %s (%s)", path, exc)
        return None
