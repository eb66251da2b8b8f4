"""The medicinal-chemistry filters on molecules whose verdicts are known: RDKit's own PAINS
example, drugs that pass, and Lipinski violations counted by hand."""
import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.mol.chem.medchem import MedChem, medchem, parse_filters

# RDKit's FilterCatalog documentation uses this hydrazone of a naphthol as its PAINS example.
PAINS_EXAMPLE = "O=C(Cn1cnc2c1c(=O)n(C)c(=O)n2C)N/N=C/c1c(O)ccc2c1cccc2"
IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"


def _verdict(smiles):
    return medchem(Chem.MolFromSmiles(smiles))


def test_pains_positive_and_negative():
    hit = _verdict(PAINS_EXAMPLE)
    assert hit.pains.startswith("hzone_phenol_A") and not hit.passes("pains")
    assert _verdict("O=C1NC(=S)SC1=Cc1ccccc1").pains.startswith("ene_rhod")  # an ene-rhodanine
    clean = _verdict(IBUPROFEN)
    assert clean == MedChem(0, "", "", "") and all(clean.passes(name) for name in ("lipinski", "pains", "brenk", "mcf"))


def test_brenk_and_mcf_name_the_group():
    aldehyde = _verdict("CCCCC=O")
    assert aldehyde.brenk == "aldehyde" and aldehyde.mcf == "MCF7" and aldehyde.passes("pains")
    assert _verdict("C=CC#N").mcf == "MCF1"  # MOSES' first filter: an acrylonitrile


@pytest.mark.parametrize("smiles, violations", [
    ("CC(=O)Oc1ccccc1C(=O)O", 0),  # aspirin
    ("C" * 40, 2),  # MW 563 and logP 15.7
    ("OCC(O)C(O)C(O)C(O)C(O)C(O)C(O)CO", 1),  # nine OH donors (and nine acceptors), MW 272
    ("OCC(O)C(O)C(O)C(O)C(O)C(O)C(O)C(O)C(O)C(O)CO", 2),  # 12 donors and 12 acceptors
])
def test_lipinski_violations(smiles, violations):
    verdict = _verdict(smiles)
    assert verdict.lipinski_violations == violations
    assert verdict.passes("lipinski") == (violations <= 1)


def test_filter_names_are_checked():
    assert parse_filters(" Lipinski,pains,lipinski") == ("lipinski", "pains")
    for text, message in (("lipinski,toxic", "unknown filter 'toxic'"), (",", "no filter named")):
        with pytest.raises(InputError, match=message):
            parse_filters(text)
