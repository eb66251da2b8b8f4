"""The four molecular properties that sampling writes and evaluation compares (MOSES):
QED (drug-likeness, 0..1), logP (Crippen), SA (RDKit Contrib synthetic accessibility, 1
easy .. 10 hard) and molecular weight."""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, MolSurf, rdMolDescriptors
from rdkit.Contrib.SA_Score import sascorer

from molgan.mol.chem.medchem import MedChem, Screens, medchem, screen

#: The properties, in the order of `molecule_properties` (also what a model can be
#: conditioned on, molgan/mol/conditioning.py).
PROPERTIES = ("qed", "logp", "sa", "mw")
_FUNCTIONS = {"qed": lambda mol: qed(mol), "logp": Crippen.MolLogP, "sa": sascorer.calculateScore,
              "mw": Descriptors.MolWt}


def molecule_properties(mol: Chem.Mol, have: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """(QED, logP, SA, MW) of a sanitized molecule, in the order of PROPERTIES (`have`: its
    `medchem.screen`, when the caller has it)."""
    logp, mw = Crippen.MolLogP(mol), Descriptors.MolWt(mol)
    return qed(mol, logp, mw, have), logp, sascorer.calculateScore(mol), mw


def properties_and_verdicts(mol: Chem.Mol, with_hydrogens: Chem.Mol | None = None, hydrogens_screen=None,
                            ) -> tuple[tuple[float, float, float, float], MedChem]:
    """`molecule_properties` and `medchem`'s verdicts of one molecule, which share its screen,
    logP and weight (`with_hydrogens` and its screen: passed on to `medchem`)."""
    have = screen(mol)
    properties = molecule_properties(mol, have)
    return properties, medchem(mol, with_hydrogens, hydrogens_screen, have, properties[1], properties[3])


@functools.cache
def _qed_alerts() -> tuple[tuple[Chem.Mol, ...], Screens]:
    alerts = tuple(QED.StructuralAlerts)
    return alerts, Screens([screen(alert) for alert in alerts])


def qed(mol: Chem.Mol, logp: float | None = None, mw: float | None = None, have: np.ndarray | None = None) -> float:
    """RDKit's QED (`rdkit.Chem.QED.qed`, mean weights), the same number with less work:
    logP and weight are the caller's when it has them (QED would compute logP again), and
    of QED's 116 structural alerts only those whose screen fits the molecule's (`have`) are
    searched (tests/mol/chem/test_properties.py compares with RDKit's)."""
    if mol.GetNumAtoms() != mol.GetNumHeavyAtoms():  # QED scores the heavy-atom graph
        mol, logp, mw, have = Chem.RemoveHs(mol), None, None, None
    alerts, screens = _qed_alerts()
    have = screen(mol) if have is None else have
    aromatic_rings = Chem.DeleteSubstructs(Chem.Mol(mol), QED.AliphaticRings)
    properties = QED.QEDproperties(
        MW=Descriptors.MolWt(mol) if mw is None else mw,
        ALOGP=Crippen.MolLogP(mol) if logp is None else logp,
        HBA=sum(len(mol.GetSubstructMatches(pattern)) for pattern in QED.Acceptors),
        HBD=rdMolDescriptors.CalcNumHBD(mol),
        PSA=MolSurf.TPSA(mol),
        ROTB=rdMolDescriptors.CalcNumRotatableBonds(mol, rdMolDescriptors.NumRotatableBondsOptions.Strict),
        AROM=len(Chem.GetSSSR(aromatic_rings)),
        ALERTS=sum(mol.HasSubstructMatch(alerts[i]) for i in screens.candidates(have)))
    return QED.qed(mol, qedProperties=properties)


def smiles_properties(smiles: Sequence[str | None], names: Sequence[str] = PROPERTIES) -> list[tuple[float, ...]]:
    """The properties `names` of each SMILES (NaN for None or one RDKit cannot parse)."""
    functions = [_FUNCTIONS[name] for name in names]
    rows = []
    for text in smiles:
        mol = Chem.MolFromSmiles(text) if text else None
        rows.append(tuple(f(mol) for f in functions) if mol is not None else (float("nan"),) * len(names))
    return rows
