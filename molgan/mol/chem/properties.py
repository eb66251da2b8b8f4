"""The four molecular properties that sampling writes and evaluation compares (MOSES):
QED (drug-likeness, 0..1), logP (Crippen), SA (RDKit Contrib synthetic accessibility, 1
easy .. 10 hard) and molecular weight."""
from __future__ import annotations

from typing import Sequence

from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors
from rdkit.Contrib.SA_Score import sascorer

from molgan.mol.conditioning import PROPERTY_NAMES

PROPERTIES = PROPERTY_NAMES
_FUNCTIONS = {"qed": QED.qed, "logp": Crippen.MolLogP, "sa": sascorer.calculateScore, "mw": Descriptors.MolWt}


def molecule_properties(mol: Chem.Mol) -> tuple[float, float, float, float]:
    """(QED, logP, SA, MW) of a sanitized molecule, in the order of PROPERTIES."""
    return QED.qed(mol), Crippen.MolLogP(mol), sascorer.calculateScore(mol), Descriptors.MolWt(mol)


def smiles_properties(smiles: Sequence[str | None], names: Sequence[str] = PROPERTIES) -> list[tuple[float, ...]]:
    """The properties `names` of each SMILES (NaN for None or one RDKit cannot parse)."""
    functions = [_FUNCTIONS[name] for name in names]
    rows = []
    for text in smiles:
        mol = Chem.MolFromSmiles(text) if text else None
        rows.append(tuple(f(mol) for f in functions) if mol is not None else (float("nan"),) * len(names))
    return rows
