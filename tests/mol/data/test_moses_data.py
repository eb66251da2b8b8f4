"""`--dataset moses`: the molsets wheel's splits kept as they are (on a small sample of them)."""
import csv
import gzip

import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.mol.chem.graph import decode_dense
from molgan.mol.data import sources
from molgan.mol.data.dataset import open_mol_dataset


def _file_smiles(folder, split):
    with gzip.open(folder / "dataset" / "data" / f"{split}.csv.gz", "rt") as handle:
        return [row["SMILES"] for row in csv.DictReader(handle)]


def _canonical(text):
    return Chem.MolToSmiles(Chem.MolFromSmiles(text), isomericSmiles=False)


def test_moses_keeps_its_test_split_and_holds_out_validation_molecules_from_train(small_moses, data_dir):
    train = open_mol_dataset("moses", data_dir=data_dir, progress=False)
    valid = open_mol_dataset("moses", data_dir=data_dir, split="valid")
    test = open_mol_dataset("moses", data_dir=data_dir, split="test")
    info = train.info
    with open(f"{train.processed_dir}/skipped.csv", newline="") as handle:
        skipped = list(csv.DictReader(handle))
    assert info.skipped == len(skipped)
    skipped_test = {(int(r["line"]), r["smiles"]) for r in skipped if r["split"] == "test"}
    test_rows = _file_smiles(small_moses, "test")
    expected_test = [_canonical(s) for line, s in enumerate(test_rows, start=2) if (line, s) not in skipped_test]
    assert sorted(test.smiles) == sorted(expected_test)
    train_rows = {_canonical(s) for s in _file_smiles(small_moses, "train")}
    assert len(valid) == 80  # a tenth of 800 rows (at most 10,000)
    assert set(train.smiles) | set(valid.smiles) <= train_rows and not set(train.smiles) & set(valid.smiles)
    assert len(train) + len(valid) == 800 - sum(r["split"] == "train" for r in skipped)
    assert set(info.atom_types) <= {"C", "N", "O", "S", "F", "Cl", "Br"} and info.max_atoms <= 27
    assert train.bond_types.shape[1:] == (info.max_atoms, info.max_atoms) and train.bond_types.dtype.itemsize == 1
    for data in (train, test):  # every stored graph decodes to its SMILES
        atoms, bonds = data.atom_types.numpy(), data.bond_types.numpy()
        for k, smiles in enumerate(data.smiles):
            assert decode_dense(atoms[k], bonds[k], info.vocab) == (smiles, "")


def test_moses_without_the_wheel_names_the_install_command(monkeypatch, data_dir):
    monkeypatch.setattr(sources.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match=r"pip install --no-deps molsets"):
        open_mol_dataset("moses", data_dir=data_dir)
    assert not data_dir.exists() or not any(data_dir.iterdir())


def test_a_truncated_wheel_file_is_refused(small_moses, data_dir):
    with gzip.open(small_moses / "dataset" / "data" / "test.csv.gz", "wt") as handle:
        handle.write("SMILES\nCCO\n")
    with pytest.raises(InputError, match=r"test.csv.gz holds 1 molecules, expected 200"):
        open_mol_dataset("moses", data_dir=data_dir)
