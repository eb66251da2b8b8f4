"""Reference sets for `molgan evaluate`, with their statistics cached on disk.

`qm9`: novelty against QM9's training split, distributions (FCD, SNN, Frag, Scaf,
property distances, KL) against its whole test split. `moses`: novelty against the MOSES
training split, distributions against its test split, and the MOSES suite against its test
and scaffold-test splits (the molsets wheel's files). A SMILES file: novelty against all
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

REFERENCE_VERSION = 3
MAX_DISTRIBUTION = 10_000
#: GuacaMol's nearest-neighbour similarity of a larger reference is that of a random
#: subset this large (every pair of MOSES' 176,074 test molecules would take hours).
MAX_NEAREST = 20_000


class ReferenceSource:
    """Where a reference's molecules come from: `known` (novelty) and `distribution()`."""

    def __init__(self, spec: str, data_dir: str | Path | None = None, smiles_column: str | None = None,
                 progress: bool = True):
        self.spec, self.name = spec, spec
        self._known: frozenset[str] | None = None
        if spec == "moses":
            from molgan.mol.data.options import default_data_dir  # not dataset.py: torch_geometric

            folder = Path(data_dir or default_data_dir()) / "references"
            self.cache = folder / f"moses-test-v{REFERENCE_VERSION}.pt"
            self.scaffold_cache = folder / f"moses-test_scaffolds-v{REFERENCE_VERSION}.pt"
            self.progress = progress
        elif spec == "qm9":
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

    def moses_known(self, workers: int) -> frozenset[str]:
        """MOSES' training split, canonical."""
        from molgan.mol.data.sources import read_moses_split

        log.info("canonicalizing the MOSES training split (once)")
        self._known = frozenset(s for s in canonical_parallel(read_moses_split("train"), workers, self.progress) if s)
        return self._known

    def distribution(self, split: str = "test", workers: int = 1) -> list[str]:
        if self.spec == "qm9":
            return list(self._test.smiles)
        if self.spec == "moses":
            from molgan.mol.data.sources import read_moses_split

            return [s for s in canonical_parallel(read_moses_split(split), workers, self.progress) if s]
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
    if spec == "moses":
        return _load_moses(source, chemnet, workers, progress)
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


def _load_moses(source: ReferenceSource, chemnet: ChemNet | None, workers: int, progress: bool) -> ReferenceStats:
    """MOSES' Test statistics (known: its training split) with its TestSF statistics attached."""
    found = {}
    for split, path in (("test", source.cache), ("test_scaffolds", source.scaffold_cache)):
        stats = _load(path, f"moses/{split}", None) if path.is_file() else None
        if stats is None:
            from molgan.mol.data.sources import MOSES_FILES

            known = source.moses_known(workers) if split == "test" else frozenset()
            distribution = source.distribution(split, workers)
            log.info("computing reference statistics of %d molecules of MOSES' %s (once; cached in %s)",
                     len(distribution), MOSES_FILES[split], path)
            chemnet = chemnet or ChemNet()
            stats = build_reference(f"moses/{split}", known, distribution, chemnet, workers, progress)
            _save(path, stats)
        found[split] = stats
    test = found["test"]
    test.name, test.scaffold_test = "moses", found["test_scaffolds"]
    return test


def canonical_parallel(smiles: list[str], workers: int, progress: bool = False) -> list[str | None]:
    """`canonicalize` of every row (None where invalid), on `workers` processes."""
    from molgan.mol.data.convert import map_chunks

    parts = map_chunks(canonicalize_all, smiles, 20_000, workers, "canonical SMILES", progress)
    return [c for canonical, _ in parts for c in canonical]


def build_reference(name: str, known: frozenset[str], distribution: list[str], chemnet: ChemNet,
                    workers: int = 1, progress: bool = False) -> ReferenceStats:
    counts: dict[str, int] = {}
    for s in distribution:
        counts[s] = counts.get(s, 0) + 1
    unique = list(counts)
    weights = np.array([counts[s] for s in unique], dtype=np.int64)
    profiles, _, activations, _ = profile_with_activations(unique, chemnet, workers, progress)
    rows = np.repeat(np.arange(len(unique)), weights)  # property distributions keep duplicates
    kl_bits = profiles.bitsets(kl=True)
    if len(unique) > MAX_NEAREST:
        chosen = np.sort(np.random.default_rng(0).choice(len(unique), MAX_NEAREST, replace=False))
        kl_bits = BitSets.from_lists([profiles.kl_fingerprints[i] for i in chosen], kl_bits.num_bits)
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
        # one text tensor: a list of a million strings loads many times slower
        "known": _text_tensor(sorted(stats.known)) if stats.name != "qm9" else None,
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
            name=name, known=known if known is not None else frozenset(_text_list(data["known"])),
            size=int(data["size"]),
            properties=data["properties"].numpy(), descriptors=data["descriptors"].numpy(),
            fingerprints=BitSets.from_counts(data["fp_indices"].numpy(), data["fp_counts"].numpy(), FP_BITS),
            nearest_similarity=data["nearest"].numpy(), fragments=data["fragments"], scaffolds=data["scaffolds"],
            fcd_mu=data["fcd_mu"].numpy(), fcd_sigma=data["fcd_sigma"].numpy(),
            structure_mean=data["structure_mean"].numpy())
    except Exception as exc:  # unreadable or from another version: rebuild it
        log.warning("ignoring unreadable reference cache %s (%s)", path, exc)
        return None


def _text_tensor(lines: list[str]) -> torch.Tensor:
    return torch.tensor(np.frombuffer("\n".join(lines).encode(), dtype=np.uint8))


def _text_list(tensor: torch.Tensor) -> list[str]:
    text = tensor.numpy().tobytes().decode()
    return text.split("\n") if text else []
