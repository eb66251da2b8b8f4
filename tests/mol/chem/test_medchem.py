"""The medicinal-chemistry filters on molecules whose verdicts are known: RDKit's own PAINS
example, drugs that pass, and Lipinski violations counted by hand."""
import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.mol.chem.medchem import MedChem, _catalog, first_alert, medchem, parse_filters

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


def test_screened_catalogs_name_what_the_filter_catalog_names():
    import csv
    import gzip

    from conftest import MOSES_FIXTURE
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    with gzip.open(f"{MOSES_FIXTURE}/dataset/data/test.csv.gz", "rt") as handle:
        drug_like = [row["SMILES"] for row in csv.DictReader(handle)][:150]
    catalogs = FilterCatalogParams.FilterCatalogs
    members = {"pains": (catalogs.PAINS_A, catalogs.PAINS_B, catalogs.PAINS_C), "brenk": (catalogs.BRENK,)}
    smiles = [PAINS_EXAMPLE, IBUPROFEN, "O=C1NC(=S)SC1=Cc1ccccc1", "Oc1ccc(cc1O)CN(C)C", "CCCCC=O",
              "CN(C)c1ccc(N=Nc2ccccc2)cc1", "C=CC(=O)OC", "ClCC(=O)c1ccccc1", *drug_like]
    for name, parts in members.items():
        params = FilterCatalogParams()
        for part in parts:
            params.AddCatalog(part)
        catalog = FilterCatalog(params)
        entries, screens = _catalog(name)
        assert len(entries) == catalog.GetNumEntries()
        assert (screens.bits.any(axis=1)).mean() > 0.9  # nearly every entry has a screen
        hits = 0
        for text in smiles:
            mol = Chem.MolFromSmiles(text)
            match = catalog.GetFirstMatch(mol)
            expected = match.GetDescription() if match is not None else ""
            assert first_alert(mol, name) == expected, (name, text)
            hits += expected != ""
        assert hits >= 3  # the comparison saw matches, not only misses
