"""scripts/charrnn.py, the CharRNN peer of the equal-compute benchmarks: it learns SMILES, and
its samples are files `molgan evaluate` reads."""
import csv
import json
import sys

from conftest import run_cli
from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import charrnn  # noqa: E402


def _valid_share(path):
    from rdkit import Chem

    rows = [r["smiles"] for r in csv.DictReader(path.open())]
    return sum(bool(s) and Chem.MolFromSmiles(s) is not None for s in rows) / len(rows), len(rows)


def test_charrnn_learns_the_smiles_of_its_training_split(tmp_path, capsys, data_dir, mols_csv):
    out = tmp_path / "charrnn"
    small = ["--hidden", "64", "--layers", "1", "--batch-size", "16", "--halve-every", "1000", "--out", str(out),
             "--dataset", str(mols_csv)]
    charrnn.main(["train", *small, "--max-steps", "1"])
    charrnn.main(["train", *small, "--max-steps", "400", "--seed", "1"])
    untrained, trained = tmp_path / "untrained.csv", tmp_path / "trained.csv"
    charrnn.main(["sample", str(out / "step1.pt"), "-n", "50", "-o", str(untrained), "--max-length", "40"])
    charrnn.main(["sample", str(out / "step400.pt"), "-n", "50", "-o", str(trained), "--max-length", "40"])
    assert _valid_share(untrained) == (0.0, 50)
    share, rows = _valid_share(trained)
    assert rows == 50 and share > 0.6, share
    report = tmp_path / "report.json"
    code, _, err = run_cli(capsys, "evaluate", trained, "--reference", mols_csv, "-o", report)
    assert code == 0, err
    assert json.loads(report.read_text())["validity"] == share
