import csv

import numpy as np
import pytest
import torch
from torch_geometric.data import Data, InMemoryDataset

from molgan.errors import InputError
from molgan.mol.chem.graph import decode_dense
from molgan.mol.data import dataset as dataset_module
from molgan.mol.data.dataset import MolDataOptions, open_mol_dataset

SMILES = ["CCO", "c1ccccc1", "C[N+](=O)[O-]", "not_a_molecule", "CCCCCCCCCCCC", "CC(=O)O",
          "OCC", "CCN", "C#N", "[CH2]", "CBr", "NCC(=O)O"]


@pytest.fixture
def mols_csv(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text("smiles\n" + "\n".join(SMILES) + "\n")
    return path


def test_user_csv_becomes_dense_splits_with_vocab_from_data(mols_csv, data_dir):
    train = open_mol_dataset(str(mols_csv), data_dir=data_dir, progress=False)
    info = train.info
    assert info.num_rows == 12 and info.skipped == 2 and info.num_molecules == 10
    assert info.skipped_reasons == {"unparsable SMILES": 1, "needs explicit hydrogens or radicals": 1}
    assert info.max_atoms == 12  # the largest molecule in the data
    assert info.atom_types == ["C", "N", "N+", "O-", "O", "Br"]
    assert info.duplicates == 1  # CCO and OCC
    assert sum(info.split_sizes.values()) == 10
    assert train.atom_types.shape == (len(train), 12) and train.bond_types.shape == (len(train), 12, 12)
    assert train.atom_types.dtype == torch.uint8
    splits = {s: open_mol_dataset(str(mols_csv), data_dir=data_dir, split=s) for s in ("train", "valid", "test")}
    all_smiles = sorted(sum((d.smiles for d in splits.values()), []))
    assert len(all_smiles) == 10
    item = train[0]
    assert isinstance(item, Data) and item.atom_types.shape == (1, 12)
    smiles, reason = decode_dense(item.atom_types[0].numpy(), item.bond_types[0].numpy(), info.vocab)
    assert reason == "" and smiles == item.smiles


def test_skipped_rows_are_listed_next_to_the_cache_and_reported(mols_csv, data_dir, caplog):
    caplog.set_level("WARNING")
    train = open_mol_dataset(str(mols_csv), data_dir=data_dir, progress=False)
    with open(f"{train.processed_dir}/skipped.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["smiles"], r["reason"]) for r in rows] == [
        ("5", "not_a_molecule", "unparsable SMILES"),
        ("11", "[CH2]", "needs explicit hydrogens or radicals")]
    assert "skipped 2 molecule(s) (line 5: unparsable SMILES; line 11:" in caplog.text


def test_overrides_skip_oversized_and_foreign_atoms(mols_csv, data_dir):
    options = MolDataOptions(max_atoms=9, atom_types=("C", "N", "O", "N+", "O-"))
    info = open_mol_dataset(str(mols_csv), options, data_dir=data_dir).info
    # 9 is the limit; the graphs are as large as the largest molecule kept (acetic acid... 6)
    assert info.max_atoms == 6 and info.atom_types == ["C", "N", "N+", "O-", "O"]
    assert info.skipped_reasons["too many heavy atoms"] == 1
    assert info.skipped_reasons["atom type not in the vocabulary"] == 1
    assert info.num_molecules == 8


def test_default_limit_skips_a_giant_molecule_instead_of_adopting_its_size(tmp_path, data_dir):
    giant = "C" * 400  # one 400-atom alkane among small molecules
    path = tmp_path / "mols.csv"
    path.write_text("smiles\n" + "\n".join(["CCO", "CCN", giant, "CC(=O)O", "c1ccccc1"]) + "\n")
    train = open_mol_dataset(str(path), data_dir=data_dir, progress=False)
    assert train.info.max_atoms == 6 and train.bond_types.shape[1:] == (6, 6)
    with open(f"{train.processed_dir}/skipped.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["reason"]) for r in rows] == [("4", "400 heavy atoms, over the limit of 50")]


def test_default_vocabulary_keeps_organic_elements_and_names_the_others(tmp_path, data_dir):
    rows = ["CCO", "[U]", "[Pt](Cl)Cl", "[Xe]", "CS(=O)(=O)N", "CP(=O)(O)O", "Ic1ccccc1", "C[Se]C", "CC(=O)[O-]"]
    path = tmp_path / "mols.csv"
    path.write_text("smiles\n" + "\n".join(rows) + "\n")
    info = open_mol_dataset(str(path), data_dir=data_dir, progress=False).info
    assert info.atom_types == ["C", "N", "O-", "O", "P", "S", "I"]
    assert info.skipped_reasons == {"element not in the default set": 4}
    with open(f"{data_dir}/{path.stem}-{_cache_digest(data_dir)}/processed/skipped.csv", newline="") as handle:
        reasons = {r["smiles"]: r["reason"] for r in csv.DictReader(handle)}
    assert set(reasons) == {"[U]", "[Pt](Cl)Cl", "[Xe]", "C[Se]C"}
    assert reasons["[Pt](Cl)Cl"].startswith("element Pt not in the default set")
    # Asked for explicitly, another element is part of the vocabulary.
    chosen = MolDataOptions(atom_types=("C", "O", "Se"))
    assert open_mol_dataset(str(path), chosen, data_dir=data_dir).info.num_molecules == 2  # CCO, C[Se]C


def _cache_digest(data_dir) -> str:
    (folder,) = [p.name for p in data_dir.iterdir()]
    return folder.rsplit("-", 1)[1]


def test_too_few_molecules_to_train_is_refused_and_no_cache_is_kept(tmp_path, data_dir):
    path = tmp_path / "mols.csv"
    path.write_text("smiles\nCCO\nnot_a_molecule\n[U]\n")
    with pytest.raises(InputError, match=r"mols.csv: 1 usable molecule\(s\) of 3 rows .* at least 2 are needed"):
        open_mol_dataset(str(path), data_dir=data_dir, min_train=2)
    assert not data_dir.exists() or not any(data_dir.iterdir())


def test_cache_is_reused_and_keyed_by_content_and_options(mols_csv, data_dir, monkeypatch):
    first = open_mol_dataset(str(mols_csv), data_dir=data_dir)

    def fail(*args, **kwargs):
        raise AssertionError("processed again")

    monkeypatch.setattr(dataset_module, "convert_smiles", fail)
    again = open_mol_dataset(str(mols_csv), data_dir=data_dir)
    assert again.root == first.root and again.smiles == first.smiles
    with pytest.raises(AssertionError, match="processed again"):
        open_mol_dataset(str(mols_csv), MolDataOptions(max_atoms=20), data_dir=data_dir)
    mols_csv.write_text("smiles\nCCO\nCCC\n")  # new content -> new cache
    with pytest.raises(AssertionError, match="processed again"):
        open_mol_dataset(str(mols_csv), data_dir=data_dir)
    assert [p.name for p in data_dir.iterdir()] == [first.root.split("/")[-1]]  # no debris


def test_split_is_fixed_by_seed(mols_csv, tmp_path):
    a = open_mol_dataset(str(mols_csv), data_dir=tmp_path / "a", split="test").smiles
    b = open_mol_dataset(str(mols_csv), data_dir=tmp_path / "b", split="test").smiles
    assert a == b


def test_storage_matches_pyg_collate(mols_csv, data_dir):
    train = open_mol_dataset(str(mols_csv), data_dir=data_dir)
    items = [train[i] for i in range(len(train))]
    collated, slices = InMemoryDataset.collate(items)
    assert torch.equal(collated.atom_types, train.atom_types)
    assert torch.equal(collated.bond_types, train.bond_types)
    assert collated.smiles == train.smiles
    assert all(torch.equal(slices[k], train.slices[k]) for k in slices)


def test_no_parsable_molecule_leaves_no_cache(tmp_path, data_dir):
    path = tmp_path / "junk.smi"
    path.write_text("xyz\nfoo\n")
    with pytest.raises(InputError, match=r"no parsable molecule in 2 rows \(first problem: line 1"):
        open_mol_dataset(str(path), data_dir=data_dir)
    assert not data_dir.exists() or list(data_dir.iterdir()) == []


def _kekule_bond_counts(smiles: list[str]) -> dict[str, int]:
    """Bonds by order in the Kekulé form, counted by RDKit alone (not by our encoder)."""
    from collections import Counter

    from rdkit import Chem

    counts = Counter()
    names = {Chem.BondType.SINGLE: "single", Chem.BondType.DOUBLE: "double", Chem.BondType.TRIPLE: "triple"}
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        Chem.Kekulize(mol, clearAromaticFlags=True)
        counts.update(names[b.GetBondType()] for b in mol.GetBonds())
    return dict(counts)


def test_full_qm9_round_trip_is_exact(qm9_cache):
    """Every one of the 130,831 QM9 molecules decodes back to its canonical SMILES."""
    from molgan.mol.data.sources import read_qm9

    datasets = [open_mol_dataset("qm9", data_dir=qm9_cache, split=s) for s in ("train", "valid", "test")]
    info = datasets[0].info
    assert info.num_molecules == 130_831 and info.skipped == 0
    assert info.atom_types == ["C-", "C", "N-", "N", "N+", "O-", "O", "F"]
    assert info.bond_counts == _kekule_bond_counts(read_qm9().smiles)
    assert sum(info.atom_counts[t] for t in ("C-", "N-", "N+", "O-")) > 0
    vocab = info.vocab
    decoded = []
    for data in datasets:
        atoms, bonds = data.atom_types.numpy(), data.bond_types.numpy()
        for k in range(len(data)):
            smiles, _ = decode_dense(atoms[k], bonds[k], vocab)
            decoded.append(smiles)
    expected = sum((d.smiles for d in datasets), [])
    mismatches = [(e, d) for e, d in zip(expected, decoded) if e != d]
    assert mismatches == []
    # ... and the stored canonical SMILES are those of the molecules in the package.
    from rdkit import Chem
    source = sorted(Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False)
                    for s in read_qm9().smiles[::50])
    assert set(source) <= set(expected)
    assert np.isin(source, expected).all()


def test_aromatic_qm9_graphs_keep_rdkit_aromatic_bonds_and_decode_back():
    """Every 20th QM9 molecule, converted with aromatic bonds: almost all kept (those lost
    need an [nH] the graph does not store), each decodes to its recorded SMILES, and holds
    exactly the aromatic bonds RDKit perceives."""
    from rdkit import Chem

    from molgan.mol.chem.graph import NotRepresentable, canonical_smiles, graph_to_mol, smiles_to_graph
    from molgan.mol.data.sources import read_qm9

    source = read_qm9().smiles[::20]
    kept, aromatic_molecules = 0, 0
    for smiles in source:
        try:
            canonical, graph = smiles_to_graph(smiles, aromatic=True)
        except NotRepresentable:
            assert any(a.GetIsAromatic() for a in Chem.MolFromSmiles(smiles).GetAtoms())  # lost: aromatic only
            continue
        kept += 1
        mol, _ = graph_to_mol(graph)
        assert canonical_smiles(mol) == canonical
        expected = sum(b.GetIsAromatic() for b in Chem.MolFromSmiles(smiles).GetBonds())
        assert sum(order == 4 for _, _, order in graph.bonds) == expected
        aromatic_molecules += expected > 0
    assert kept >= 0.995 * len(source) and aromatic_molecules > 0.1 * len(source)
