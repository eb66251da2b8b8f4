"""molgan's QED against RDKit's own: the same number with shared inputs and screened alerts."""
import csv
import gzip

import pytest
from conftest import MOSES_FIXTURE
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors

from molgan.mol.chem.medchem import screen
from molgan.mol.chem.properties import _qed_alerts, molecule_properties, qed

ODD = ["CCCCC=O", "O=C1NC(=S)SC1=Cc1ccccc1", "C=CC(=O)OC", "ClCC(=O)c1ccccc1", "CN(C)c1ccc(N=Nc2ccccc2)cc1",
       "O=[N+]([O-])c1ccccc1", "C", "c1ccc2ccccc2c1", "OCC(O)C(O)C(O)C(O)CO", "CC(=O)Oc1ccccc1C(=O)O"]


def _drug_like(count: int) -> list[str]:
    with gzip.open(f"{MOSES_FIXTURE}/dataset/data/test.csv.gz", "rt") as handle:
        return [row["SMILES"] for row in csv.DictReader(handle)][:count]


def test_qed_is_rdkits():
    alerts, screens = _qed_alerts()
    with_alerts = 0
    for text in ODD + _drug_like(200):
        mol = Chem.MolFromSmiles(text)
        expected = QED.qed(mol)
        assert qed(mol) == pytest.approx(expected, abs=1e-12), text
        logp, mw = Crippen.MolLogP(mol), Descriptors.MolWt(mol)
        assert qed(mol, logp, mw, screen(mol)) == pytest.approx(expected, abs=1e-12), text
        assert molecule_properties(mol)[0] == pytest.approx(expected, abs=1e-12)
        with_alerts += QED.properties(mol).ALERTS > 0
    assert with_alerts >= 20  # the screened alert count was compared where it is not zero
    assert (screens.bits.any(axis=1)).mean() > 0.9  # nearly every alert has a screen to skip it by


def test_qed_of_a_molecule_with_explicit_hydrogens_scores_its_heavy_atoms():
    mol = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    with_hydrogens = Chem.AddHs(mol)
    assert qed(with_hydrogens, Crippen.MolLogP(with_hydrogens)) == pytest.approx(QED.qed(mol), abs=1e-12)
