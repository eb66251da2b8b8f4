"""`molgan sample --filter`: the kept rows are exactly the valid rows of the unfiltered file
that pass, each verdict recomputed here with RDKit."""
import csv

from conftest import run_cli
from helpers import TINY_MOL
from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors, Lipinski
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams


def _brenk_hits(smiles):
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.BRENK)
    return FilterCatalog(params).HasMatch(Chem.MolFromSmiles(smiles))


def _rule_of_five_violations(smiles):
    mol = Chem.MolFromSmiles(smiles)
    return sum((Descriptors.MolWt(mol) > 500, Crippen.MolLogP(mol) > 5, Lipinski.NumHDonors(mol) > 5,
                Lipinski.NumHAcceptors(mol) > 10))


def test_filter_keeps_the_passing_molecules_and_says_what_it_dropped(tmp_path, capsys, data_dir, mols_csv):
    run = tmp_path / "run"
    assert run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 2, *TINY_MOL)[0] == 0
    every, kept = tmp_path / "all.csv", tmp_path / "kept.csv"
    assert run_cli(capsys, "sample", run, "-n", 60, "-o", every, "--seed", 1)[0] == 0
    code, _, err = run_cli(capsys, "sample", run, "-n", 60, "-o", kept, "--seed", 1, "--filter", "brenk,lipinski")
    assert code == 0, err
    rows = list(csv.DictReader(every.open()))
    valid = [r for r in rows if r["valid"] == "1"]
    passing = [r for r in valid if not _brenk_hits(r["smiles"]) and _rule_of_five_violations(r["smiles"]) <= 1]
    assert 0 < len(passing) < len(valid)  # the check kept some and dropped some
    assert list(csv.DictReader(kept.open())) == passing
    for r in valid:
        assert (r["brenk"] != "") == _brenk_hits(r["smiles"])
        assert int(r["lipinski_violations"]) == _rule_of_five_violations(r["smiles"])
    assert f"kept {len(passing)} of 60 rows" in err
    assert f"brenk {sum(_brenk_hits(r['smiles']) for r in valid)}" in err


def test_unknown_filter_is_refused_before_sampling(tmp_path, capsys):
    out = tmp_path / "s.csv"
    code, _, err = run_cli(capsys, "sample", tmp_path / "no-run", "-n", 5, "-o", out, "--filter", "pains,toxic")
    assert code == 2 and "unknown filter 'toxic'" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
