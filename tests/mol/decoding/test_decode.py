import torch
from helpers import VOCAB, logits_for

from molgan.mol.chem.vocab import AtomType
from molgan.mol.decoding.decode import decode_logits, max_valences

N, E = 9, 4


def _logits_for(smiles_list, n=N):
    return logits_for(smiles_list, VOCAB, n)


def test_argmax_and_capped_decoding():
    bonds, atoms = _logits_for(["CCO", "C[N+](=O)[O-]"])
    assert [d.smiles for d in decode_logits(bonds, atoms, VOCAB, "argmax")] == ["CCO", "C[N+](=O)[O-]"]
    # over-bonded carbon: 5 single bonds. Raw decoding fails; capped keeps 4 of them.
    bonds, atoms = _logits_for(["CC(C)(C)C"])
    atoms[0, 5] = torch.nn.functional.one_hot(torch.tensor(VOCAB.index(AtomType("C"))), len(VOCAB)) * 10
    bonds[0, 1, 5, 1] = bonds[0, 5, 1, 1] = 5.0  # weaker than the other bonds
    bonds[0, 1, 5, 0] = bonds[0, 5, 1, 0] = 0.0
    raw, capped = (decode_logits(bonds, atoms, VOCAB, mode)[0] for mode in ("argmax", "capped"))
    assert raw.smiles is None and raw.reason == "valence"
    assert capped.smiles == "CC(C)(C)C"  # the extra atom is left unbonded, then dropped


def test_raw_is_the_generator_output_layer():
    bonds, atoms = _logits_for(["CC(C)(C)C"])
    atoms[0, 5] = torch.nn.functional.one_hot(torch.tensor(VOCAB.index(AtomType("C"))), len(VOCAB)) * 10
    bonds[0, 1, 5, 1] = bonds[0, 5, 1, 1] = 5.0
    bonds[0, 1, 5, 0] = bonds[0, 5, 1, 0] = 0.0
    assert decode_logits(bonds, atoms, VOCAB, "raw", post="st-argmax")[0].reason == "valence"
    # The valence-aware output layer's graph is the connected decoding (here: joined, not dropped).
    assert decode_logits(bonds, atoms, VOCAB, "raw", post="st-valence")[0].smiles == "CCC(C)(C)C"


def _hand_made_logits(symbols, bonds_list):
    """Logits of one graph: atoms by symbol, the listed (i, j, order) bonds, "no bond" elsewhere."""
    atoms = torch.zeros(1, N, len(VOCAB))
    atoms[0, :, 0] = 10.0
    for i, symbol in enumerate(symbols):
        atoms[0, i] = torch.nn.functional.one_hot(torch.tensor(VOCAB.index(AtomType(symbol))), len(VOCAB)) * 10
    bonds = torch.zeros(1, N, N, E)
    bonds[0, :, :, 0] = 10.0
    for i, j, order in bonds_list:
        for a, b in ((i, j), (j, i)):
            bonds[0, a, b] = torch.nn.functional.one_hot(torch.tensor(order), E) * 10
    return bonds, atoms


def test_connected_decoding_joins_fragments_by_their_most_likely_single_bond():
    from rdkit import Chem

    bonds, atoms = _hand_made_logits("CCOCN", [(0, 1, 1), (1, 2, 1), (3, 4, 1)])  # C-C-O and C-N
    bonds[0, 1, 3, 1] = bonds[0, 3, 1, 1] = 4.0  # the model's favourite link, still below "no bond"
    bonds[0, 0, 4, 1] = bonds[0, 4, 0, 1] = 3.0
    capped, connected = (decode_logits(bonds, atoms, VOCAB, mode)[0] for mode in ("capped", "connected"))
    assert capped.smiles == "CCO"  # the larger fragment only
    assert connected.smiles == Chem.MolToSmiles(Chem.MolFromSmiles("CC(O)CN")) and connected.num_atoms == 5
    # Atoms with no free valence are never used to join: here only C0 or C2 can take the F.
    bonds, atoms = _hand_made_logits("CCCOF", [(0, 1, 1), (1, 2, 1), (1, 3, 2)])
    assert decode_logits(bonds, atoms, VOCAB, "connected")[0].smiles == "CC(=O)CF"


def test_max_valences_follow_charge():
    caps = dict(zip(VOCAB.names(), max_valences(VOCAB)[1:]))
    assert caps == {"C": 4, "N": 3, "N+": 4, "O-": 1, "O": 2, "F": 1}
