"""The report's docking section on a `molgan dock` output: figures, hits and the comparison
with a virtual screen (scores written here, no docking)."""
import pandas as pd
import pytest

from molgan.mol import report_docking

COLUMNS = ["smiles", "docking_score", "docking_status", "docking_reason", "docked_smiles", "docking_target"]
# drug-like (QED >= 0.5, SA <= 4, no PAINS) molecules, and one that is not (QED of ethanol)
DRUG_LIKE = ["CCOc1cccc(C(=O)Nc2ccn(Cc3ccccn3)n2)c1", "OCc1cc(-c2ccc(N3CCCC3)nn2)ccc1F",
             "O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1"]


def _docked(tmp_path, name, rows):
    path = tmp_path / name
    pd.DataFrame([dict(zip(COLUMNS, r)) for r in rows], columns=COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture
def files(tmp_path):
    generated = _docked(tmp_path, "docked.csv", [
        (DRUG_LIKE[0], -10.5, "ok", "", DRUG_LIKE[0], "DRD2"), (DRUG_LIKE[0], -10.5, "ok", "", DRUG_LIKE[0], "DRD2"),
        (DRUG_LIKE[1], -9.0, "ok", "", DRUG_LIKE[1], "DRD2"), ("CCO", -3.0, "ok", "", "CCO", "DRD2"),
        ("C1CC", "", "invalid", "not a valid SMILES", "", ""),
        ("CC(C)(C)C", "", "failed", "3D embedding failed", "CC(C)(C)C", "DRD2")])
    screen = _docked(tmp_path, "screen.csv", [
        (DRUG_LIKE[2], -8.0, "ok", "", DRUG_LIKE[2], "DRD2"), ("CCO", -3.5, "ok", "", "CCO", "DRD2")])
    return generated, screen


def test_a_docked_file_is_read_and_summed_up(files, tmp_path):
    docked = report_docking.read_docking(files[0])
    summary = report_docking.docking_summary(docked)
    assert summary["rows"] == 6 and summary["scored"] == 4 and summary["distinct scored"] == 3
    assert summary["failed"] == "1: 3D embedding failed (1)" and summary["invalid rows"] == 1
    assert summary["best (kcal/mol)"] == -10.5 and summary["drug-like hits (QED ≥ 0.5, SA ≤ 4, no PAINS)"] == 2
    assert report_docking.best_hits(docked).smiles.tolist() == DRUG_LIKE[:2]
    plain = tmp_path / "plain.csv"
    plain.write_text("smiles\nCCO\n")
    assert report_docking.read_docking(plain) is None


def test_the_comparison_with_a_virtual_screen(files):
    docked, screen = (report_docking.read_docking(f) for f in files)
    table = report_docking.screen_comparison(docked, screen)
    assert list(table.columns) == ["this file", "virtual screen"]
    assert table.loc["distinct molecules scored"].tolist() == [3, 2]
    assert table.loc["best score"].tolist() == [-10.5, -8.0]
    assert table.loc["best 10 hits, mean"].tolist() == [-9.75, -8.0]
    assert table.loc["drug-like hits (share of scored)"].tolist() == ["2 (67 %)", "1 (50 %)"]
    figure = report_docking.score_histogram(docked, None, screen)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert labels == ["virtual screen (2 distinct)", "this file (3 distinct)"]
