import numpy as np
import pytest
from rdkit import Chem

from molgan.mol.chem.graph import (
    MolGraph,
    NotRepresentable,
    canonical_smiles,
    decode_dense,
    encode_dense,
    graph_to_mol,
    smiles_to_graph,
)
from molgan.mol.chem.vocab import BOND_ORDERS, AtomType, AtomVocab

VOCAB = AtomVocab.from_strings(["C", "N", "O", "F", "S", "Cl", "N+", "O-", "C-"])
C, O = VOCAB.index(AtomType("C")), VOCAB.index(AtomType("O"))

ROUND_TRIP = [
    "CCO", "c1ccccc1", "c1cc[nH]c1", "C#N", "[C-]#[N+]C", "C[N+](=O)[O-]",
    "NC(=O)C(=O)[O-].[NH4+]",  # becomes its largest fragment
    "CC(=O)Oc1ccccc1C(=O)O", "O=C1C=CC(=O)C=C1", "c1ccc2[nH]ccc2c1", "C1CC1", "O",
    "[NH3+]CC(=O)[O-]", "CS(=O)(=O)C", "Clc1ccncc1",
]


@pytest.mark.parametrize("aromatic", [False, True])
@pytest.mark.parametrize("smiles", ROUND_TRIP)
def test_dense_round_trip_is_exact(smiles, aromatic):
    canonical, graph = smiles_to_graph(smiles, aromatic=aromatic)
    atoms, bonds = encode_dense(graph, VOCAB, max_atoms=16)
    assert atoms.shape == (16,) and bonds.shape == (16, 16)
    assert (bonds == bonds.T).all() and not np.diag(bonds).any()
    decoded, reason = decode_dense(atoms, bonds, VOCAB)
    assert reason == ""
    assert decoded == canonical


def test_charges_survive():
    canonical, graph = smiles_to_graph("C[N+](=O)[O-]")
    assert sorted(str(a) for a in graph.atoms) == ["C", "N+", "O", "O-"]
    assert canonical == "C[N+](=O)[O-]"


def test_same_molecule_written_differently_gives_the_same_dense_graph():
    first = encode_dense(smiles_to_graph("OCC")[1], VOCAB, 5)
    second = encode_dense(smiles_to_graph("C(O)C")[1], VOCAB, 5)
    assert all((a == b).all() for a, b in zip(first, second))


def test_stereo_is_dropped_not_fatal():
    canonical, _ = smiles_to_graph("C[C@H](N)O")
    assert canonical == canonical_smiles(Chem.MolFromSmiles("CC(N)O"))


@pytest.mark.parametrize("smiles, reason", [
    ("not a smiles", "unparsable"), ("", "empty"), ("[CH2]", "radicals"),
    ("[H][H]", "no heavy atoms"),
])
def test_unrepresentable_molecules_name_the_reason(smiles, reason):
    with pytest.raises(NotRepresentable, match=reason):
        smiles_to_graph(smiles)


def test_explicit_and_isotopic_hydrogens_become_implicit():
    assert smiles_to_graph("[2H]C")[0] == "C"
    assert smiles_to_graph("[H]OC([H])([H])[H]")[0] == "CO"


def test_fragments_can_be_refused():
    with pytest.raises(NotRepresentable, match="2 disconnected fragments"):
        smiles_to_graph("CCO.O", keep_largest_fragment=False)


def test_encode_refuses_oversized_and_unknown_atoms():
    _, graph = smiles_to_graph("CCCCCC")
    with pytest.raises(NotRepresentable, match="6 heavy atoms, over the limit of 5"):
        encode_dense(graph, VOCAB, 5)
    _, graph = smiles_to_graph("CBr")
    with pytest.raises(NotRepresentable, match="atom type Br not in the vocabulary"):
        encode_dense(graph, VOCAB, 5)


def _dense(atoms, edges, n=5):
    a = np.zeros(n, np.uint8)
    a[: len(atoms)] = atoms
    b = np.zeros((n, n), np.uint8)
    for i, j, k in edges:
        b[i, j] = b[j, i] = k
    return a, b


def test_decode_reports_why_a_graph_is_invalid():
    assert decode_dense(*_dense([], []), VOCAB) == (None, "empty graph")
    assert decode_dense(*_dense([C] * 5, [(0, k, 1) for k in range(1, 5)]), VOCAB) == ("CC(C)(C)C", "")
    # carbon with five single bonds
    five = _dense([C] * 6, [(0, k, 1) for k in range(1, 6)], n=6)
    assert decode_dense(*five, VOCAB) == (None, "valence")
    assert decode_dense(*_dense([C, C, C], [(0, 1, 1)]), VOCAB) == (None, "disconnected")


def test_decode_ignores_bonds_to_absent_atoms_and_reads_upper_triangle():
    atoms, bonds = _dense([C, 0, O], [(0, 2, 1)])
    bonds[0, 1] = bonds[1, 0] = 2  # bond to the absent atom 1
    assert decode_dense(atoms, bonds, VOCAB) == ("CO", "")
    bonds[2, 0] = 3  # lower triangle disagrees: ignored
    assert decode_dense(atoms, bonds, VOCAB) == ("CO", "")


@pytest.mark.parametrize("smiles", ["c1ccoc1", "c1cc[nH]c1", "Cc1ncc[nH]1", "c1ccc2[nH]ccc2c1", "Cn1ccnc1",
                                    "O=c1cc[nH]cc1", "c1ccncc1", "Cc1nnn[nH]1"])
def test_aromatic_graphs_keep_aromatic_bonds_and_round_trip(smiles):
    canonical, graph = smiles_to_graph(smiles, aromatic=True)
    mol = Chem.MolFromSmiles(smiles)
    assert sum(order == BOND_ORDERS[Chem.BondType.AROMATIC] for _, _, order in graph.bonds) == sum(
        b.GetIsAromatic() for b in mol.GetBonds())
    assert canonical == Chem.MolToSmiles(mol, isomericSmiles=False)  # the same tautomer here
    rebuilt, reason = graph_to_mol(graph)
    assert reason == "" and canonical_smiles(rebuilt) == canonical
    _, kekule = smiles_to_graph(smiles, aromatic=False)
    assert {order for _, _, order in kekule.bonds} <= {1, 2, 3}


def test_an_aromatic_graph_stores_no_nh_position_so_one_tautomer_is_kept():
    # 4-methylimidazole and 5-methylimidazole differ only in the H on a ring N.
    first, _ = smiles_to_graph("Cc1c[nH]cn1", aromatic=True)
    second, _ = smiles_to_graph("Cc1cnc[nH]1", aromatic=True)
    assert first == second
    assert first in {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in ("Cc1c[nH]cn1", "Cc1cnc[nH]1")}


def test_aromatic_bonds_outside_a_ring_are_invalid():
    graph = MolGraph((AtomType("C"), AtomType("C")), ((0, 1, BOND_ORDERS[Chem.BondType.AROMATIC]),))
    assert graph_to_mol(graph) == (None, "aromaticity")
