import pytest
import torch

from helpers import MOLECULES
from molgan.mol.chem.graph import decode_dense, encode_dense, smiles_to_graph
from molgan.mol.chem.vocab import BOND_MIN_VALENCE, AtomVocab
from molgan.mol.decoding.decode import max_valences
from molgan.mol.nn.autoregressive import AutoregressiveGraphGenerator
from molgan.mol.nn.models import GraphCritic

VOCAB = AtomVocab.from_strings(["C", "N", "O", "F"])
CAPS = max_valences(VOCAB).tolist()


def generator(n=12, bond_types=5, **kwargs):
    torch.manual_seed(0)
    return AutoregressiveGraphGenerator(n, len(VOCAB), bond_types, CAPS, dim=32, layers=2, heads=2, **kwargs)


def dataset(smiles, n, bond_types=5):
    atoms, bonds = [], []
    for s in smiles:
        a, b = encode_dense(smiles_to_graph(s, aromatic=bond_types == 5)[1], VOCAB, n)
        atoms.append(torch.from_numpy(a).long())
        bonds.append(torch.from_numpy(b).long())
    return torch.stack(bonds), torch.stack(atoms)


@pytest.mark.parametrize("bond_types", [4, 5])
def test_samples_are_connected_within_the_valences_in_depth_first_order(bond_types):
    model = generator(bond_types=bond_types)
    bonds, atoms, _ = model.sample(torch.randn(300, model.latent_dim))
    n = model.max_atoms
    assert torch.equal(bonds, bonds.transpose(1, 2))
    assert not bonds[:, torch.arange(n), torch.arange(n)].any()
    present = atoms > 0
    assert present[:, 0].all()
    # atoms fill the first positions, and nothing bonds to an absent atom
    assert torch.equal(present, torch.cummin(present.int(), 1).values.bool())
    assert not bonds[~present].any()
    # every atom after the first bonds to an earlier one (one fragment)
    lower = torch.tril(bonds > 0, -1)
    assert lower.any(2)[:, 1:][present[:, 1:]].all()
    used = torch.tensor(BOND_MIN_VALENCE)[bonds].sum(2)
    assert (used <= torch.tensor(CAPS)[atoms]).all()
    assert (present.sum(1) > 1).float().mean() > 0.5  # not all single atoms: a real test of the bonds


def test_without_its_valence_masks_it_samples_what_the_masks_would_have_refused():
    """The masks are a correction: off (validity without correction), an untrained model
    exceeds valences; the structure stays (a first atom, each later atom bonded to an earlier one)."""
    model = generator(bond_types=4)
    z = torch.randn(300, model.latent_dim)
    assert torch.equal(model.sample(z)[0], model.sample(z, valence_masks=True)[0])
    bonds, atoms, _ = model.sample(z, valence_masks=False)
    used = torch.tensor(BOND_MIN_VALENCE)[bonds].sum(2)
    over = (used > torch.tensor(CAPS)[atoms]).any(1)
    assert over.float().mean() > 0.2, over.float().mean()
    present = atoms > 0
    assert present[:, 0].all() and torch.tril(bonds > 0, -1).any(2)[:, 1:][present[:, 1:]].all()
    masked_logits = model.logits(z[:5])
    assert torch.equal(masked_logits[0].argmax(-1), model.sample(z[:5])[0])
    assert torch.equal(model.logits(z[:5], valence_masks=False)[0].argmax(-1), bonds[:5])


def test_a_sample_is_a_function_of_z_and_its_log_probability_is_the_likelihood():
    model = generator()
    z = torch.randn(64, model.latent_dim)
    bonds, atoms, log_prob = model.sample(z)
    again, _, _ = model.sample(z)
    assert torch.equal(bonds, again)
    assert len({(tuple(a.tolist()), tuple(b.flatten().tolist())) for a, b in zip(atoms, bonds)}) > 40
    # The choices' probabilities while sampling (with cached keys) are those of one
    # teacher-forced pass over the finished graphs: sampling draws from the trained model.
    nll = model.negative_log_likelihood(bonds, atoms)
    assert torch.allclose(-log_prob, nll, atol=1e-3, rtol=1e-5)
    assert (nll > 0).all()


def test_it_learns_a_small_set_of_molecules_by_likelihood():
    n = 9
    model = generator(n=n)
    bonds, atoms = dataset(MOLECULES[:6], n)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = model.negative_log_likelihood(bonds, atoms).mean().item()
    for _ in range(150):
        loss = model.negative_log_likelihood(bonds, atoms).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.25 * first
    sampled_bonds, sampled_atoms, _ = model.sample(torch.randn(200, model.latent_dim))
    smiles = [decode_dense(a.numpy(), b.numpy(), VOCAB)[0] for a, b in zip(sampled_atoms, sampled_bonds)]
    training = {decode_dense(a.numpy(), b.numpy(), VOCAB)[0] for a, b in zip(atoms, bonds)}
    assert sum(s in training for s in smiles) >= 0.8 * len(smiles)
    assert len(set(smiles) & training) >= 4  # not one molecule for every z


def test_output_is_one_hot_with_the_choices_probabilities_as_gradient():
    model = generator()
    critic = GraphCritic(len(VOCAB), 5, conv_dims=(8,), readout_dim=8, head_dims=(8,))
    z = torch.randn(16, model.latent_dim)
    with torch.no_grad():
        hard = model(z)
    soft = model(z)
    for value, with_grad in zip(hard, soft):
        assert torch.equal(value, value.round()) and torch.allclose(value, with_grad)
        assert torch.allclose(with_grad.sum(-1), torch.ones(with_grad.shape[:-1]))
    bond_probs, atom_probs = model.choice_probabilities(hard[0].argmax(-1), hard[1].argmax(-1))
    assert torch.allclose(bond_probs.sum(-1), torch.ones(bond_probs.shape[:-1]), atol=1e-5)
    assert torch.equal(bond_probs, bond_probs.transpose(1, 2))
    critic(*soft).sum().backward()
    for name in ("type_head.weight", "parent_head.1.weight", "other_head.1.weight", "path.weight",
                 "blocks.0.qkv.weight", "token.weight"):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


def test_a_conditioned_generator_reads_its_condition():
    model = generator(condition_dim=2)
    bonds, atoms = dataset(MOLECULES[:4], 12)
    low = model.negative_log_likelihood(bonds, atoms, cond=torch.zeros(4, 2))
    high = model.negative_log_likelihood(bonds, atoms, cond=torch.full((4, 2), 3.0))
    assert not torch.allclose(low, high)
    assert torch.allclose(low, model.negative_log_likelihood(bonds, atoms))  # no condition: zeros
    assert "condition_dim=2" in repr(model) and "latent_dim=90" in repr(model) and "pair_dim=64" in repr(model)


def test_path_lengths_count_bonds_from_the_parent():
    from molgan.mol.nn.autoregressive import MAX_PATH, _path_lengths

    adjacent = torch.zeros(1, 6, 6, dtype=torch.bool)
    for i, j in [(0, 1), (1, 2), (2, 3), (3, 0)]:  # a four-ring; atoms 4 and 5 unconnected
        adjacent[0, i, j] = adjacent[0, j, i] = True
    assert _path_lengths(adjacent, torch.tensor([1])).tolist() == [[1, 0, 1, 2, MAX_PATH + 1, MAX_PATH + 1]]
    assert (_path_lengths(adjacent, torch.tensor([-1])) == MAX_PATH + 1).all()
