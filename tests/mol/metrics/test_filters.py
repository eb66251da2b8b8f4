"""MOSES' alerts are screened by pattern fingerprints before a substructure search: the
screen must never skip a pattern that matches."""
import csv
import gzip

from conftest import MOSES_FIXTURE
from rdkit import Chem

from molgan.mol.chem.medchem import matches_any, screen
from molgan.mol.metrics.filters import alert_screens, moses_alerts

# Molecules that hit alerts (PAINS: an ene-rhodanine, a catechol Mannich base, an azo dye;
# MCF: an aldehyde, a peroxide, a Michael acceptor) and generated-looking oddities.
HITS = ["O=C1NC(=S)SC1=Cc1ccccc1", "Oc1ccc(cc1O)CN(C)C", "CN(C)c1ccc(N=Nc2ccccc2)cc1", "CCCCC=O", "CCOOC",
        "C=CC(=O)OC", "CC1C2CS(C)(O)S(C)(C)(C(C)C)(C1C)C(C)N(C)C(C)O2", "c1c2cc3c4c[nH]c1c1cc5c6oc7c4oc(c6n37)n5c21",
        "CCNS1(C)(=O)C(C)C(N(C)C)CN2C(C)C(OBr)C1C2C", "Cn1c(C=N)c(C=O)c(CC(F)CCCSC=O)c1C=N"]


def _sample_molecules():
    smiles = list(HITS)
    for split in ("test", "test_scaffolds"):
        with gzip.open(f"{MOSES_FIXTURE}/dataset/data/{split}.csv.gz", "rt") as handle:
            smiles += [row["SMILES"] for row in csv.DictReader(handle)][:40]
    return [Chem.AddHs(Chem.MolFromSmiles(s)) for s in smiles]


def test_screened_alerts_match_exactly_what_a_full_search_matches():
    patterns, screens = moses_alerts(), alert_screens()
    assert len(patterns) == len(screens) > 400
    matched = searched = checked = 0
    for mol in _sample_molecules():
        expected = [mol.HasSubstructMatch(pattern) for pattern in patterns]
        candidates = set(screens.candidates(screen(mol)).tolist())
        assert all(i in candidates for i, hit in enumerate(expected) if hit), Chem.MolToSmiles(mol)
        assert matches_any(mol, patterns, screens) == any(expected)
        matched += sum(expected)
        searched += len(candidates)
        checked += len(patterns)
    assert matched >= len(HITS)  # the check saw matches, not only misses
    assert searched < checked / 2  # and the screen spared most searches
