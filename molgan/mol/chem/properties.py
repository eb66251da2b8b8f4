"""The four molecular properties that sampling writes and evaluation compares (MOSES):
QED (drug-likeness, 0..1), logP (Crippen), SA (RDKit Contrib synthetic accessibility, 1
easy .. 10 hard) and molecular weight."""
from __future__ import annotations

from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors
from rdkit.Contrib.SA_Score import sascorer

PROPERTIES = ("qed", "logp", "sa", "mw")


def molecule_properties(mol: Chem.Mol) -> tuple[float, float, float, float]:
    """(QED, logP, SA, MW) of a sanitized molecule, in the order of PROPERTIES."""
    return QED.qed(mol), Crippen.MolLogP(mol), sascorer.calculateScore(mol), Descriptors.MolWt(mol)
