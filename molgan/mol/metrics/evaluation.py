"""Standard generation metrics from SMILES rows (MOSES / GuacaMol / GDSS protocol).

Every row counts: an empty or unparsable SMILES, or one with more than one fragment, is
invalid. Molecules are compared as canonical SMILES without stereo (what a dense graph
can express). Definitions, with `valid` = the valid rows, duplicates kept:

- validity = |valid| / rows; uniqueness = |set(valid)| / |valid|;
  novelty = |set(valid) - reference known set| / |set(valid)|.
- fcd: Frechet ChemNet distance (fcd_torch's ChemNet) of `valid` to the reference.
- intdiv: 1 - mean Tanimoto over all pairs of `valid` (self pairs included, as MOSES),
  Morgan radius 2, 1,024 bits. snn: mean over `valid` of the max Tanimoto to the reference.
- frag / scaf: cosine similarity of BRICS-fragment / Bemis-Murcko-scaffold (>= 2 rings)
  counts between `valid` and the reference (MOSES).
- wasserstein: Wasserstein-1 distance of QED, logP, SA and MW of `valid` to the reference.
- filters_passed: the share of `valid` passing each medicinal-chemistry filter (Lipinski's
  rule of five with at most one violation; no PAINS, Brenk or MOSES MCF alert).
- kl_score: GuacaMol's KL benchmark on set(valid): mean of exp(-KL) over nine descriptors
  and the nearest-neighbour similarity (ECFP4, 4,096 bits); a descriptor a collapsed set
  cannot estimate (zero variance) counts as KL = inf.
"""
from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from rdkit import Chem, RDLogger

from molgan.core.logs import finite_or_none
from molgan.mol.chem.graph import canonical_smiles
from molgan.mol.chem.medchem import FILTERS
from molgan.mol.metrics.basic import basic_metrics
from molgan.mol.metrics.chemnet import ChemNet, torch_threads
from molgan.mol.metrics.moses import moses_metrics, moses_valid
from molgan.mol.metrics.profiles import KL_CONTINUOUS, KL_DISCRETE, PROPERTIES, STRUCTURE, Profiles, profile_molecules
from molgan.mol.metrics.similarity import BitSets, cosine_similarity, tanimoto_reduce, weighted_counts

log = logging.getLogger(__name__)

#: The report's headline metrics: key, label, what it means (for tables and notebooks).
METRICS = (
    ("validity", "Validity", "valid, connected molecules / all rows"),
    ("uniqueness", "Uniqueness", "distinct valid molecules / valid"),
    ("novelty", "Novelty", "distinct valid molecules not in the reference's known set / distinct valid"),
    ("fcd", "FCD", "Frechet ChemNet distance to the reference set (lower is better; 0 for identical distributions)"),
    ("intdiv", "IntDiv", "1 - mean pairwise Tanimoto similarity (higher = more diverse)"),
    ("snn", "SNN", "mean similarity to the nearest reference molecule"),
    ("frag", "Frag", "similarity of BRICS fragment frequencies (1 = identical)"),
    ("scaf", "Scaf", "similarity of ring-scaffold (>= 2 rings) frequencies (1 = identical)"),
    ("kl_score", "KL score", "GuacaMol property-distribution score (1 = identical)"),
)
PERCENT_METRICS = ("validity", "uniqueness", "novelty")

_CHUNK = 500  # small enough that the last chunks finish close together
_KDE_POINTS = 20_000
_PARALLEL_MIN = 1500  # below this, worker start-up costs more than it saves


def canonicalize(text: str) -> tuple[str | None, str]:
    """(canonical SMILES, "") if `text` is a valid single-fragment molecule, else (None, reason)."""
    if not text:
        return None, "empty"
    mol = Chem.MolFromSmiles(text)
    if mol is None:
        return None, "unparsable"
    if len(Chem.GetMolFrags(mol)) > 1:
        return None, "disconnected"
    return canonical_smiles(mol), ""


def canonicalize_all(smiles: Iterable[str]) -> tuple[list[str | None], list[str]]:
    """Canonical SMILES (None when invalid) and the reason ("" when valid), per row."""
    RDLogger.DisableLog("rdApp.*")
    pairs = [canonicalize(text) for text in smiles]
    return [c for c, _ in pairs], [r for _, r in pairs]


@dataclass
class ReferenceStats:
    """What the metrics compare against: a known set (novelty) and a distribution set."""

    name: str
    known: frozenset[str]
    size: int  # molecules in the distribution set
    properties: np.ndarray  # (size, 4)
    descriptors: np.ndarray  # (size, 9)
    fingerprints: BitSets  # Morgan r2, 1,024 bits
    nearest_similarity: np.ndarray  # (size,) GuacaMol nearest-neighbour similarity
    fragments: dict[str, int]
    scaffolds: dict[str, int]
    fcd_mu: np.ndarray
    fcd_sigma: np.ndarray
    structure_mean: np.ndarray  # (len(STRUCTURE),) per-molecule means
    # MOSES: the scaffold-test split's statistics; with it, reports add the MOSES suite
    # (molgan/mol/metrics/moses.py) against this reference (Test) and it (TestSF).
    scaffold_test: "ReferenceStats | None" = None


_FORKED_CHEMNET: ChemNet | None = None  # read by forked workers
_FORKED_TABLES: dict[str, BitSets] = {}  # likewise


def _worker_setup() -> None:
    torch.set_num_threads(1)  # one process per core: threads would only fight


def _activations_task(smiles: Sequence[str]) -> np.ndarray:
    assert _FORKED_CHEMNET is not None
    return _FORKED_CHEMNET.activations(smiles)


def _profile_task(smiles: Sequence[str], moses_filters: bool, tables: dict[str, BitSets] | None = None,
                  ) -> tuple[Profiles, dict[str, np.ndarray]]:
    """Profiles of `smiles` and each one's nearest Tanimoto similarity in every table
    (`tables`; the forked workers' copy when None)."""
    profiles = profile_molecules(smiles, moses_filters=moses_filters)
    bits = profiles.bitsets()
    tables = _FORKED_TABLES if tables is None else tables
    with torch_threads(1):
        return profiles, {name: tanimoto_reduce(bits, table, "max") for name, table in tables.items()}


def profile_with_activations(smiles: Sequence[str], chemnet: ChemNet, workers: int, progress: bool = False,
                             with_profiles: Callable[[Profiles, dict], object] | None = None,
                             moses_filters: bool = False, nearest_in: dict[str, BitSets] | None = None):
    """RDKit profiles, nearest similarities and ChemNet activations of `smiles`, split over
    `workers` processes.

    Each molecule's nearest Tanimoto similarity in each table of `nearest_in` (SNN against
    MOSES' test splits) is computed with its profile, in the same worker: searched in the
    main process beside ChemNet's workers, those searches were the evaluation's longest
    wait. Both kinds of chunk go to one process pool, RDKit chunks first: as soon as they
    are done, `with_profiles(profiles, nearest)` runs here while the workers finish ChemNet,
    so the set metrics overlap the slowest part. Workers are forked and inherit the loaded
    ChemNet and tables (measured: activations identical to a single-process run). Returns
    (profiles, nearest, activations, whatever `with_profiles` returned).
    """
    import multiprocessing
    from concurrent.futures import as_completed

    from tqdm import tqdm

    from molgan.mol.data.convert import rdkit_pool

    global _FORKED_CHEMNET, _FORKED_TABLES
    tables = dict(nearest_in or {})
    chunks = [smiles[i: i + _CHUNK] for i in range(0, len(smiles), _CHUNK)]

    def joined(parts: list) -> tuple[Profiles, dict[str, np.ndarray]]:
        nearest = {name: np.concatenate([p[1][name] for p in parts]) if parts else np.zeros(0) for name in tables}
        return Profiles.concatenate([p[0] for p in parts]), nearest

    if workers <= 1 or len(smiles) < _PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        profiles, nearest = joined([_profile_task(c, moses_filters, tables) for c in chunks])
        extra = with_profiles(profiles, nearest) if with_profiles else None
        return profiles, nearest, chemnet.activations(smiles), extra
    _FORKED_CHEMNET, _FORKED_TABLES = chemnet, tables
    try:
        with rdkit_pool(workers, initializer=_worker_setup) as pool, \
                tqdm(total=2 * len(smiles), desc="ChemNet + RDKit", unit="mol", disable=None if progress else True,
                     leave=False) as bar:
            profile_parts = [pool.submit(_profile_task, c, moses_filters) for c in chunks]
            activation_parts = [pool.submit(_activations_task, c) for c in chunks]
            sizes = {f: len(c) for f, c in zip(profile_parts + activation_parts, chunks + chunks)}
            for future in as_completed(profile_parts):
                bar.update(sizes[future])
            profiles, nearest = joined([f.result() for f in profile_parts])
            extra = with_profiles(profiles, nearest) if with_profiles else None
            for future in as_completed(activation_parts):
                bar.update(sizes[future])
            activations = np.concatenate([f.result() for f in activation_parts])
    finally:
        _FORKED_CHEMNET, _FORKED_TABLES = None, {}
    return profiles, nearest, activations, extra


def continuous_kl(reference: np.ndarray, sample: np.ndarray) -> float:
    """KL(reference || sample) of Gaussian KDEs on 1,000 points spanning both (GuacaMol);
    a reference of more than 20,000 values is fitted on a fixed random 20,000 of them (a KDE's
    cost grows with its points: MOSES' 176,074 took seconds per descriptor)."""
    from scipy.stats import entropy, gaussian_kde

    if len(reference) > _KDE_POINTS:
        reference = reference[np.random.default_rng(0).choice(len(reference), _KDE_POINTS, replace=False)]
    try:
        p_kde, q_kde = gaussian_kde(reference), gaussian_kde(sample)
    except (np.linalg.LinAlgError, ValueError):
        return float("inf")  # no spread: a KDE cannot be fitted
    grid = np.linspace(min(reference.min(), sample.min()), max(reference.max(), sample.max()), 1000)
    return float(entropy(p_kde(grid) + 1e-10, q_kde(grid) + 1e-10))


def discrete_kl(reference: np.ndarray, sample: np.ndarray) -> float:
    """KL of 10-bin histograms on the reference's range (GuacaMol)."""
    from scipy.stats import entropy

    p, edges = np.histogram(reference, bins=10, density=True)
    q, _ = np.histogram(sample, bins=edges, density=True)
    return float(entropy(p + 1e-10, q + 1e-10))


def kl_divergences(reference: ReferenceStats, unique: Profiles) -> dict[str, float]:
    result = {}
    for i, name in enumerate(KL_CONTINUOUS + KL_DISCRETE):
        kl = continuous_kl if name in KL_CONTINUOUS else discrete_kl
        result[name] = kl(reference.descriptors[:, i], unique.descriptors[:, i])
    bits = unique.bitsets(kl=True)
    nearest = tanimoto_reduce(bits, bits, "max", exclude_self=True)
    result["internal_similarity"] = continuous_kl(reference.nearest_similarity, nearest)
    return result


def evaluate_smiles(smiles: Sequence[str], reference: ReferenceStats, chemnet: ChemNet | None = None,
                    workers: int = 1, progress: bool = False, stated_reasons: Sequence[str] | None = None) -> dict:
    """All metrics of one list of generated SMILES rows against `reference` (JSON-ready).

    `stated_reasons`: the file's own per-row reasons for invalid rows (`molgan sample`
    writes an empty SMILES and names the reason); used only to break down invalid rows.
    """
    canonical, row_reasons = canonicalize_all(smiles)
    moses = reference.scaffold_test is not None
    moses_rows = moses_valid(smiles, canonical, row_reasons) if moses else []
    if stated_reasons is not None:
        row_reasons = [(given or own) if own else "" for own, given in zip(row_reasons, stated_reasons)]
    reasons = Counter(r for r in row_reasons if r)
    valid = [s for s in canonical if s]
    counts = Counter(valid)
    unique = list(counts)
    report: dict = {"rows": len(smiles), "valid": len(valid), "unique": len(unique),
                    **basic_metrics(canonical, reference.known)}
    if not smiles:
        report["validity"] = 0.0  # an empty file: nothing valid
    metrics = dict.fromkeys(("fcd", "intdiv", "snn", "frag", "scaf", "kl_score"), float("nan"))
    metrics["wasserstein"] = dict.fromkeys(PROPERTIES, float("nan"))
    metrics["kl_divergence"] = {}
    metrics["filters_passed"] = dict.fromkeys(FILTERS, float("nan"))
    metrics["structure"] = _structure(np.full(len(STRUCTURE), np.nan), reference)
    # Molecules MOSES counts valid and molgan does not (several fragments) are profiled
    # after molgan's valid ones, in the same pass.
    pool = unique + [s for s in dict.fromkeys(moses_rows) if s not in counts]
    nearest: dict[str, np.ndarray] = {}
    if pool:
        weights = np.array([counts[s] for s in unique], dtype=np.int64)
        chemnet = chemnet or ChemNet()
        # Every pooled molecule's nearest reference similarity, once: molgan's SNN and MOSES'
        # SNN/Test, and MOSES' SNN/TestSF.
        tables = {"Test": reference.fingerprints} if reference.size else {}
        if moses:
            tables["TestSF"] = reference.scaffold_test.fingerprints

        def set_metrics(profiles: Profiles, nearest: dict[str, np.ndarray]) -> dict:
            mine = profiles.head(len(unique))
            test = nearest.get("Test", np.full(len(profiles), np.nan))
            found = _set_metrics(mine, weights, reference, test[: len(unique)]) if unique else {}
            if len(unique) >= 2:
                found["kl_divergence"] = divergences = kl_divergences(reference, mine)
                found["kl_score"] = float(np.mean([math.exp(-d) for d in divergences.values()]))
            return found

        profiles, nearest, activations, found = profile_with_activations(
            pool, chemnet, workers, progress, set_metrics, moses_filters=moses, nearest_in=tables)
        metrics.update(found)
        if len(valid) >= 2:
            mu, sigma = ChemNet.statistics(activations[: len(unique)], weights)
            metrics["fcd"] = ChemNet.distance(reference.fcd_mu, reference.fcd_sigma, mu, sigma)
    if moses:
        metrics["moses"] = moses_metrics(len(smiles), moses_rows, profiles if pool else Profiles(),
                                         activations if pool else np.zeros((0, 512)), reference,
                                         reference.scaffold_test, nearest)
    report.update(metrics)
    report["invalid_reasons"] = dict(reasons.most_common())
    report["reference"] = {"name": reference.name, "distribution_molecules": reference.size,
                           "known_molecules": len(reference.known)}
    return finite_or_none(report)


def _set_metrics(profiles: Profiles, weights: np.ndarray, reference: ReferenceStats, nearest: np.ndarray) -> dict:
    """`nearest`: each molecule's largest Tanimoto similarity to the reference set."""
    from scipy.stats import wasserstein_distance

    total = float(weights.sum())
    bits = profiles.bitsets()
    mean_similarity = tanimoto_reduce(bits, bits, "mean", table_weights=weights)
    return {
        "intdiv": 1.0 - float(weights @ mean_similarity) / total,
        "snn": float(weights @ nearest) / total,
        "frag": cosine_similarity(reference.fragments, weighted_counts(profiles.fragments, weights)),
        "scaf": cosine_similarity(reference.scaffolds, weighted_counts([[s] for s in profiles.scaffolds], weights)),
        "wasserstein": {name: float(wasserstein_distance(profiles.properties[:, i], reference.properties[:, i],
                                                         u_weights=weights))
                        for i, name in enumerate(PROPERTIES)},
        "structure": _structure(weights @ profiles.structure / total, reference),
        "filters_passed": _filters_passed(profiles, weights),
    }


def _filters_passed(profiles: Profiles, weights: np.ndarray) -> dict:
    """The share of valid molecules passing each medicinal-chemistry filter (None: MCF's
    file is not installed)."""
    total = float(weights.sum())
    shares = {name: float(weights @ np.array([m.passes(name) for m in profiles.medchem], dtype=np.float64)) / total
              for name in FILTERS}
    if any(m.mcf is None for m in profiles.medchem):
        shares["mcf"] = None
    return shares


def _structure(generated_mean: np.ndarray, reference: ReferenceStats) -> dict:
    return {name: {"generated": float(mine), "reference": float(theirs)}
            for name, mine, theirs in zip(STRUCTURE, generated_mean, reference.structure_mean)}
