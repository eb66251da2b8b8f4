"""The pharmacophore term: how much a molecule looks like the user's reference ligands.

A molecule scores the largest Tanimoto similarity of its 2D pharmacophore fingerprint
(RDKit's Gobbi-Poppinger features: donors, acceptors, charges, aromatic and hydrophobic
groups, with their topological distances) to any reference ligand. Two molecules that
place the same features at the same bond distances score near 1 whatever their
scaffolds: the term asks for the actives' arrangement of features, not their atoms.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem.Pharm2D import Generate, Gobbi_Pharm2D

from molgan.errors import InputError


def pharmacophore_fingerprint(mol: Chem.Mol):
    """The Gobbi 2D pharmacophore fingerprint (a sparse bit vector) of a molecule."""
    return Generate.Gen2DFingerprint(mol, Gobbi_Pharm2D.factory)


def read_reference(path: str | Path) -> list[str]:
    """The canonical SMILES of a reference-ligand file (.smi / .txt / .csv); a row that
    RDKit cannot read is an error naming its line."""
    from molgan.mol.data.sources import read_smiles_file

    records = read_smiles_file(path)
    smiles = []
    for value, line in zip(records.smiles, records.lines):
        mol = Chem.MolFromSmiles(value) if value else None
        if mol is None:
            raise InputError(f"{path}, line {line}: not a valid SMILES: {value!r}")
        smiles.append(Chem.MolToSmiles(mol))
    return smiles


class PharmacophoreSimilarity:
    """Mols -> (M,) the largest pharmacophore-fingerprint Tanimoto similarity to the
    references, in [0, 1] (0 for None).

    Args:
        reference: SMILES of the reference ligands (at least one).
    """

    def __init__(self, reference: Sequence[str]):
        if not reference:
            raise ValueError("the pharmacophore term needs at least one reference ligand")
        self.reference = list(reference)
        self._prints = [pharmacophore_fingerprint(Chem.MolFromSmiles(s)) for s in self.reference]

    def __call__(self, mols: Sequence[Chem.Mol | None]) -> np.ndarray:
        return np.array([max(DataStructs.BulkTanimotoSimilarity(pharmacophore_fingerprint(m), self._prints))
                         if m is not None else 0.0 for m in mols])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(references={len(self.reference)})"
