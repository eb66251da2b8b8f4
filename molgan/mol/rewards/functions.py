"""RDKit rewards: pure functions from molecules (Mol or None) to scores in [0, 1].

Invalid molecules (None) score 0 everywhere. `RewardFunction("qed,sa")` multiplies the
named rewards; per-molecule scores are cached by canonical SMILES, so a generator that
repeats itself costs nothing to score twice.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable, Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Crippen
from rdkit.Contrib.SA_Score import sascorer

Mols = Sequence["Chem.Mol | None"]

# logP normalisation range of the MolGAN paper (QM9 logP lies within it).
LOGP_RANGE = (-2.12178879609, 6.0429063424)


def validity(mols: Mols) -> np.ndarray:
    return np.array([float(m is not None) for m in mols])


def qed(mols: Mols) -> np.ndarray:
    return np.array([QED.qed(m) if m is not None else 0.0 for m in mols])


def logp(mols: Mols) -> np.ndarray:
    low, high = LOGP_RANGE
    return np.array([np.clip((Crippen.MolLogP(m) - low) / (high - low), 0, 1) if m is not None else 0.0
                     for m in mols])


def sa(mols: Mols) -> np.ndarray:
    """Synthetic accessibility, 1 (easy) .. 10 (hard), mapped to 1 .. 0."""
    return np.array([(10.0 - sascorer.calculateScore(m)) / 9.0 if m is not None else 0.0 for m in mols])


#: A docking hit's bounds (molgan/mol/docking/ranking.py): QED at least 0.5, SA at most 4.
QED_MIN, SA_MAX = 0.5, 4.0


def druglike(mols: Mols) -> np.ndarray:
    """Within a docking hit's bounds: 1 at QED >= 0.5 and SA <= 4, 0 at QED <= 0.4 or SA >= 4.5,
    linear between. A docking run multiplied by QED itself trades binding for QED; this asks
    for binding among drug-like molecules."""
    out = []
    for m in mols:
        if m is None:
            out.append(0.0)
            continue
        by_qed = np.clip((QED.qed(m) - (QED_MIN - 0.1)) / 0.1, 0.0, 1.0)
        out.append(float(by_qed * np.clip((SA_MAX + 0.5 - sascorer.calculateScore(m)) / 0.5, 0.0, 1.0))
                   if by_qed > 0 else 0.0)
    return np.array(out)


def filters(mols: Mols) -> np.ndarray:
    """1 for a molecule that passes MOSES' filters (no MCF or PAINS alert, no ring over 7
    atoms, no charge; molgan/mol/metrics/filters.py), else 0."""
    from molgan.mol.metrics.filters import passes_moses_filters

    return np.array([float(m is not None and passes_moses_filters(m)) for m in mols])


def uniqueness(mols: Mols) -> np.ndarray:
    """1 / (copies of this molecule in the batch): repeats share one molecule's credit."""
    smiles = [Chem.MolToSmiles(m) if m is not None else None for m in mols]
    counts = Counter(s for s in smiles if s is not None)
    return np.array([1.0 / counts[s] if s is not None else 0.0 for s in smiles])


def make_novelty(known: Iterable[str]) -> Callable[[Mols], np.ndarray]:
    known = set(known)

    def novelty(mols: Mols) -> np.ndarray:
        return np.array([float(m is not None and Chem.MolToSmiles(m, isomericSmiles=False) not in known)
                         for m in mols])
    return novelty


#: Per-molecule rewards: cacheable by SMILES. Batch-dependent ones are listed apart.
MOLECULE_REWARDS: dict[str, Callable[[Mols], np.ndarray]] = {
    "validity": validity, "qed": qed, "logp": logp, "sa": sa, "druglike": druglike, "filters": filters}
BATCH_REWARDS = {"uniqueness": uniqueness}
#: Rewards that need more than a molecule: novelty (the training SMILES) and pharmacophore
#: (reference ligands, molgan/mol/rewards/pharmacophore.py).
REWARD_NAMES = (*MOLECULE_REWARDS, *BATCH_REWARDS, "novelty", "pharmacophore")


class RewardFunction:
    """Product of named rewards, e.g. ``"qed,sa"``; novelty needs the training SMILES,
    pharmacophore the reference ligands' SMILES."""

    def __init__(self, spec: str, known_smiles: Iterable[str] = (), reference: Sequence[str] = ()):
        self.names = tuple(n.strip() for n in spec.split(",") if n.strip())
        unknown = [n for n in self.names if n not in REWARD_NAMES]
        if not self.names or unknown:
            raise ValueError(f"unknown reward {unknown[0] if unknown else spec!r} "
                             f"(choose from {', '.join(REWARD_NAMES)}, comma-separated)")
        self.novelty = make_novelty(known_smiles) if "novelty" in self.names else None
        self.pharmacophore = None
        if "pharmacophore" in self.names:
            from molgan.mol.rewards.pharmacophore import PharmacophoreSimilarity

            self.pharmacophore = PharmacophoreSimilarity(reference)
        self._cache: dict[str, float] = {}

    def molecule_scores(self, smiles: Sequence[str]) -> np.ndarray:
        """The product of the per-molecule rewards alone (no batch rewards, novelty or pharmacophore) of
        valid SMILES: what a known molecule scores on its own."""
        mols = [Chem.MolFromSmiles(s) for s in smiles]
        score = np.ones(len(mols))
        for name in self.names:
            if name in MOLECULE_REWARDS:
                score *= MOLECULE_REWARDS[name](mols)
        return score

    def _scorer(self, name: str) -> Callable[[Mols], np.ndarray]:
        return {"novelty": self.novelty, "pharmacophore": self.pharmacophore}.get(name) or MOLECULE_REWARDS[name]

    def __call__(self, smiles: Sequence[str | None]) -> np.ndarray:
        """Rewards for canonical SMILES (None = invalid -> 0)."""
        cached = [name for name in self.names if name not in BATCH_REWARDS]
        todo = sorted({s for s in smiles if s is not None and s not in self._cache})
        if todo:
            mols = [Chem.MolFromSmiles(s) for s in todo]
            score = np.ones(len(todo))
            for name in cached:
                score *= self._scorer(name)(mols)
            self._cache.update(zip(todo, score.tolist()))
        out = np.array([self._cache[s] if s is not None else 0.0 for s in smiles])
        for name in self.names:
            if name in BATCH_REWARDS:
                out *= BATCH_REWARDS[name]([Chem.MolFromSmiles(s) if s else None for s in smiles])
        return out
