import pytest
import torch
from helpers import VOCAB, logits_for

from molgan.mol.chem.vocab import AtomType

E = 4
C, O = VOCAB.index(AtomType("C", 0)), VOCAB.index(AtomType("O", 0))


def _one_hot(smiles_list, n=3):
    bonds, atoms = logits_for(smiles_list, VOCAB, n)
    return (torch.nn.functional.one_hot(bonds.argmax(-1), E).float(),
            torch.nn.functional.one_hot(atoms.argmax(-1), len(VOCAB)).float())


def test_marginals_of_ethanol_by_hand():
    from molgan.mol.losses.marginals import graph_marginals

    t = len(VOCAB)
    found = graph_marginals(*_one_hot(["CCO"]))  # atoms C0 C1 O2; bonds C0-C1, C1-O2
    atoms, bonds = found[:t], found[t:]
    expected_atoms = torch.zeros(t)
    expected_atoms[C], expected_atoms[O] = 2 / 3, 1 / 3
    assert torch.allclose(atoms, expected_atoms)
    assert torch.allclose(bonds, torch.tensor([1 / 3, 2 / 3, 0.0, 0.0]))  # pairs 0-1, 0-2, 1-2


def test_marginals_do_not_depend_on_atom_order():
    from molgan.mol.losses.marginals import graph_marginals

    bonds, atoms = _one_hot(["CC(=O)N", "C#CC=O", "OCCF"], n=5)
    order = torch.tensor([3, 0, 4, 1, 2])
    permuted = bonds[:, order][:, :, order], atoms[:, order]
    assert torch.allclose(graph_marginals(*permuted), graph_marginals(bonds, atoms))


def test_dataset_marginals_in_chunks_equal_one_batch():
    from molgan.mol.losses.marginals import dataset_marginals, graph_marginals

    bonds, atoms = _one_hot(["CC(=O)N", "C#CC=O", "OCCF", "C"], n=5)
    whole = graph_marginals(bonds, atoms)
    chunked = dataset_marginals(bonds.argmax(-1).to(torch.uint8), atoms.argmax(-1).to(torch.uint8),
                                E, len(VOCAB), chunk=3)
    assert torch.allclose(chunked, whole)


def test_marginal_matching_is_zero_on_the_data_and_pulls_towards_it():
    from molgan.mol.losses.marginals import MarginalMatching

    data = _one_hot(["CCO", "CCC"])
    index = data[0].argmax(-1), data[1].argmax(-1)
    matching = MarginalMatching(*index, E, len(VOCAB), 2.0, torch.device("cpu"))
    assert matching.generator_loss(data, 0) == 0
    bonds, atoms = _one_hot(["OCO", "OCO"])  # the data's bonds; too much oxygen, too little carbon
    atoms.requires_grad_(True)
    loss = matching.generator_loss((bonds, atoms), 0)
    # data C 5/6, O 1/6; batch C 1/3, O 2/3: 2 * sum (f - r)^2 / (r + eps)
    eps = MarginalMatching.EPS
    assert loss.item() == pytest.approx(2.0 * ((1 / 3 - 5 / 6) ** 2 / (5 / 6 + eps)
                                               + (2 / 3 - 1 / 6) ** 2 / (1 / 6 + eps)))
    loss.backward()
    assert (atoms.grad[..., O] > 0).all() and (atoms.grad[..., C] < 0).all()


def test_negative_weights_are_refused():
    from molgan.errors import InputError
    from molgan.mol.config import MolModelConfig

    with pytest.raises(InputError, match="model.marginal_matching"):
        MolModelConfig(marginal_matching=-1.0)
