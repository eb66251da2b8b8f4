import torch
from helpers import VOCAB, logits_for

N, E = 9, 4


def _logits_for(smiles_list, n=N):
    return logits_for(smiles_list, VOCAB, n)


def _one_hot(smiles_list):
    bonds, atoms = _logits_for(smiles_list)
    bonds = torch.nn.functional.one_hot(bonds.argmax(-1), E).float().requires_grad_(True)
    atoms = torch.nn.functional.one_hot(atoms.argmax(-1), len(VOCAB)).float().requires_grad_(True)
    return bonds, atoms


def test_valence_penalty_is_zero_for_molecules_and_positive_for_overbonding():
    from molgan.mol.losses.penalties import ValencePenalty

    penalty = ValencePenalty(VOCAB, 1.0, torch.device("cpu"))
    assert penalty.generator_loss(_one_hot(["CCO", "C[N+](=O)[O-]", "C#N"]), 0) == 0
    bonds, atoms = _one_hot(["C(C)(C)(C)C"])
    with torch.no_grad():
        bonds[0, 0, 1] = bonds[0, 1, 0] = torch.tensor([0.0, 0.0, 1.0, 0.0])  # C0=C1: carbon with valence 5
    loss = penalty.generator_loss((bonds, atoms), 0)
    assert loss == 1.0  # the central carbon has bond order 5: (5 - 4)^2
    loss.backward()
    assert bonds.grad[0, 1, 0].tolist() == [0.0, 2.0, 4.0, 6.0]  # d(excess^2)/d(bond) = 2 * order


def test_connectivity_penalty_is_zero_for_one_fragment_and_pulls_fragments_together():
    from molgan.mol.losses.penalties import ConnectivityPenalty

    penalty = ConnectivityPenalty(1.0, margin=0.1)
    assert penalty.generator_loss(_one_hot(["CCO", "CCCCCCCCC", "c1ccccc1", "C"]), 0) == 0
    bonds, atoms = _one_hot(["CCO"])
    with torch.no_grad():  # cut the C-O bond: two fragments
        bonds[0, 1, 2] = bonds[0, 2, 1] = torch.tensor([1.0, 0.0, 0.0, 0.0])
    loss = penalty.generator_loss((bonds, atoms), 0)
    loss.backward()
    assert torch.isclose(loss, torch.tensor(0.1))
    # descending the penalty raises P(bond) between the fragments, not within them
    assert bonds.grad[0, 0, 2, 0] > 0 and bonds.grad[0, 1, 2, 0] > 0 and bonds.grad[0, 0, 1, 0] == 0
