"""The MOSES benchmark's metric suite, as MOSES defines it (moses/metrics/metrics.py,
`get_all_metrics`), against the molsets wheel's test and scaffold-test splits.

Differences from molgan's own definitions (molgan/mol/metrics/evaluation.py), kept here
so that the numbers compare with MOSES' published table:

- valid = rows RDKit parses and sanitizes, *several fragments allowed*; every other
  metric is computed on those molecules (duplicates kept), as canonical SMILES without
  stereo (molgan's graphs have none);
- unique@k = distinct share of the first k valid molecules;
- FCD, SNN, Frag and Scaf against both Test and TestSF; IntDiv1 and IntDiv2 (1 - mean over
  molecules of the root mean square Tanimoto similarity); Filters (filters.py); the
  Wasserstein-1 distances of logP, SA, QED and weight against Test; Novelty against the
  MOSES training split.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from rdkit import Chem, RDLogger

from molgan.mol.chem.graph import canonical_smiles
from molgan.mol.chem.properties import PROPERTIES
from molgan.mol.metrics.profiles import Profiles
from molgan.mol.metrics.similarity import tanimoto_reduce

UNIQUE_AT = (1000, 10000)
#: MOSES' names of the property distances, by molgan's property names.
PROPERTY_NAMES = {"logp": "logP", "sa": "SA", "qed": "QED", "mw": "weight"}


def moses_valid(smiles: Sequence[str], canonical: Sequence[str | None], reasons: Sequence[str]) -> list[str]:
    """The rows MOSES counts valid, in row order, as canonical SMILES: molgan's valid rows
    (`canonical`, from `evaluation.canonicalize_all`) and its "disconnected" ones, which
    RDKit parses and sanitizes but which hold several fragments."""
    RDLogger.DisableLog("rdApp.*")
    return [c if c else canonical_smiles(Chem.MolFromSmiles(text))
            for text, c, reason in zip(smiles, canonical, reasons) if c or reason == "disconnected"]


def unique_at(valid: Sequence[str], k: int) -> float:
    first = valid[:k]
    return len(set(first)) / len(first) if first else float("nan")


def moses_metrics(rows: int, valid: Sequence[str], profiles: Profiles, activations: np.ndarray,
                  test, scaffold_test, nearest: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """The MOSES suite of `rows` generated rows whose MOSES-valid molecules are `valid` (in
    row order, duplicates kept); `profiles` and `activations` cover at least the distinct
    molecules of `valid` (any order); `test`, `scaffold_test`: `ReferenceStats`;
    `nearest`: the profiled molecules' largest similarity to "Test" and "TestSF", those known."""
    from scipy.stats import wasserstein_distance

    from molgan.mol.metrics.chemnet import ChemNet
    from molgan.mol.metrics.similarity import cosine_similarity, weighted_counts

    result: dict[str, float] = {"valid": len(valid) / rows if rows else 0.0}
    for k in UNIQUE_AT:
        result[f"unique@{k}"] = unique_at(valid, k)
    if not valid:
        keys = [f"{name}/{split}" for name in ("FCD", "SNN", "Frag", "Scaf") for split in ("Test", "TestSF")]
        return {**result, **dict.fromkeys(keys + ["IntDiv", "IntDiv2", "Filters", *PROPERTY_NAMES.values(),
                                                  "Novelty"], float("nan"))}
    counts = Counter(valid)
    weights = np.array([counts.get(s, 0) for s in profiles.smiles], dtype=np.int64)
    total = float(weights.sum())
    bits = profiles.bitsets()
    fragments = weighted_counts(profiles.fragments, weights)
    scaffolds = weighted_counts([[s] for s in profiles.scaffolds], weights)
    mu, sigma = ChemNet.statistics(activations, weights) if len(valid) >= 2 else (None, None)
    for reference, split in ((test, "Test"), (scaffold_test, "TestSF")):
        result[f"FCD/{split}"] = (ChemNet.distance(reference.fcd_mu, reference.fcd_sigma, mu, sigma)
                                  if mu is not None else float("nan"))
        similarity = (nearest or {}).get(split)
        if similarity is None:
            similarity = tanimoto_reduce(bits, reference.fingerprints, "max")
        result[f"SNN/{split}"] = float(weights @ similarity) / total
        result[f"Frag/{split}"] = cosine_similarity(reference.fragments, fragments)
        result[f"Scaf/{split}"] = cosine_similarity(reference.scaffolds, scaffolds)
    means = tanimoto_reduce(bits, bits, "mean", table_weights=weights, power=(1, 2))
    for mean, power, name in zip(means, (1, 2), ("IntDiv", "IntDiv2")):
        result[name] = 1.0 - float(weights @ mean ** (1.0 / power)) / total
    result["Filters"] = float(weights @ np.asarray(profiles.passes_filters, dtype=np.float64)) / total
    for i, name in enumerate(PROPERTIES):
        used = weights > 0
        result[PROPERTY_NAMES[name]] = float(wasserstein_distance(
            profiles.properties[used, i], test.properties[:, i], u_weights=weights[used]))
    result["Novelty"] = len(counts.keys() - test.known) / len(counts)
    return result
