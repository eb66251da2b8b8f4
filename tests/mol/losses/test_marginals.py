import pytest
import torch
from helpers import VOCAB, logits_for

from molgan.mol.chem.vocab import AtomType

E = 4
C, O = VOCAB.index(AtomType("C", 0)), VOCAB.index(AtomType("O", 0))
SINGLE = 1


def _one_hot(smiles_list, n=3):
    bonds, atoms = logits_for(smiles_list, VOCAB, n)
    return (torch.nn.functional.one_hot(bonds.argmax(-1), E).float(),
            torch.nn.functional.one_hot(atoms.argmax(-1), len(VOCAB)).float())


def test_marginals_of_ethanol_by_hand():
    from molgan.mol.losses.marginals import graph_marginals

    t = len(VOCAB)
    found = graph_marginals(*_one_hot(["CCO"]), pairs=True)  # atoms C0 C1 O2; bonds C0-C1, C1-O2
    atoms, bonds, table = found[:t], found[t:t + E], found[t + E:].view(t, t, E - 1)
    expected_atoms = torch.zeros(t)
    expected_atoms[C], expected_atoms[O] = 2 / 3, 1 / 3
    assert torch.allclose(atoms, expected_atoms)
    assert torch.allclose(bonds, torch.tensor([1 / 3, 2 / 3, 0.0, 0.0]))  # pairs 0-1, 0-2, 1-2
    expected_table = torch.zeros(t, t, E - 1)
    expected_table[C, C, SINGLE - 1] = 1 / 3
    expected_table[C, O, SINGLE - 1] = expected_table[O, C, SINGLE - 1] = 1 / 6
    assert torch.allclose(table, expected_table)


def test_marginals_do_not_depend_on_atom_order():
    from molgan.mol.losses.marginals import graph_marginals

    bonds, atoms = _one_hot(["CC(=O)N", "C#CC=O", "OCCF"], n=5)
    order = torch.tensor([3, 0, 4, 1, 2])
    permuted = bonds[:, order][:, :, order], atoms[:, order]
    assert torch.allclose(graph_marginals(*permuted, pairs=True), graph_marginals(bonds, atoms, pairs=True))


def test_dataset_marginals_in_chunks_equal_one_batch():
    from molgan.mol.losses.marginals import dataset_marginals, graph_marginals

    bonds, atoms = _one_hot(["CC(=O)N", "C#CC=O", "OCCF", "C"], n=5)
    whole = graph_marginals(bonds, atoms, pairs=True)
    chunked = dataset_marginals(bonds.argmax(-1).to(torch.uint8), atoms.argmax(-1).to(torch.uint8),
                                E, len(VOCAB), pairs=True, chunk=3)
    assert torch.allclose(chunked, whole)


def test_marginal_matching_is_zero_on_the_data_and_pulls_towards_it():
    from molgan.mol.losses.marginals import MarginalMatching

    data = _one_hot(["CCO", "CCC"])
    index = data[0].argmax(-1), data[1].argmax(-1)
    matching = MarginalMatching(*index, E, len(VOCAB), 2.0, 0.0, torch.device("cpu"))
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
    # The pair table adds the C-O bonds (data 1/6 of the pairs, batch 2/3).
    with_pairs = MarginalMatching(*index, E, len(VOCAB), 2.0, 1.0, torch.device("cpu"))
    assert with_pairs.generator_loss(data, 0) == 0
    assert with_pairs.generator_loss((bonds, atoms), 0).item() > loss.item()


def test_soft_matching_holds_the_output_layers_probabilities_to_the_data():
    from molgan.mol.losses.marginals import MarginalMatching

    data = _one_hot(["CCO", "CCC"])
    index = data[0].argmax(-1), data[1].argmax(-1)

    class Generator:  # what MolGenerator keeps of its last training forward
        last_probs = None

    generator = Generator()
    matching = MarginalMatching(*index, E, len(VOCAB), 0.0, 0.0, torch.device("cpu"), 3.0, generator)
    # The graphs match the data; the probabilities asked for a bond between every pair.
    bond_logits = torch.zeros(2, 3, 3, E, requires_grad=True)
    probs = torch.softmax(bond_logits + torch.tensor([0.0, 2.0, 0.0, 0.0]), -1)
    generator.last_probs = (probs, data[1])
    loss = matching.generator_loss(data, 0)
    # data: 1/3 of the pairs "no bond", 2/3 single; asked: softmax (1, e^2, 1, 1) / (3 + e^2)
    p = torch.softmax(torch.tensor([0.0, 2.0, 0.0, 0.0]), -1)
    r = torch.tensor([1 / 3, 2 / 3, 0.0, 0.0])
    assert loss.item() == pytest.approx(3.0 * ((p - r) ** 2 / (r + MarginalMatching.EPS)).sum().item(), rel=1e-5)
    loss.backward()
    rows, cols = torch.triu_indices(3, 3, 1)  # each pair counted once, i < j
    assert (bond_logits.grad[:, rows, cols, 0] < 0).all()  # more "no bond"


def test_negative_weights_are_refused():
    from molgan.errors import InputError
    from molgan.mol.config import MolModelConfig

    with pytest.raises(InputError, match="model.marginal_matching"):
        MolModelConfig(marginal_matching=-1.0)


def test_layer_consistency_is_the_cross_entropy_against_the_layers_own_graph():
    import copy

    from molgan.mol.losses.consistency import LayerConsistency
    from molgan.mol.nn.models import MolGenerator

    torch.manual_seed(0)
    caps = [0, 4, 3, 2, 1]
    generator = MolGenerator(8, 5, 5, E, hidden=(16,), post="st-valence", valence_caps=caps)
    consistency = LayerConsistency(0.5, generator)
    assert consistency.generator_loss((), 0) is None  # no training forward yet
    z = torch.randn(3, 8)
    bonds, atoms = generator(z)
    bond_probs, atom_probs = generator.last_probs
    # the layer's own graph, computed again from the probabilities' logits
    bond_index, atom_index = generator.graphs(*generator.logits(z))
    assert torch.equal(bonds.argmax(-1), bond_index) and torch.equal(atoms.argmax(-1), atom_index)
    rows, cols = torch.triu_indices(5, 5, 1)
    expected = 0.5 * (-torch.log(torch.stack([bond_probs[b, i, j, bond_index[b, i, j]]
                                               for b in range(3) for i, j in zip(rows, cols)])).mean()
                      - torch.log(torch.stack([atom_probs[b, i, atom_index[b, i]]
                                               for b in range(3) for i in range(5)])).mean())
    loss = consistency.generator_loss((bonds, atoms), 0)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.backward()  # it reaches the generator's weights
    assert generator.bond_head.weight.grad.abs().sum() > 0
    # A copy (the EMA's) leaves the last forward's tensors behind.
    assert copy.deepcopy(generator).last_probs is None and generator.last_probs is not None
