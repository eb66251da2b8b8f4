import pytest
import torch

from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.nn.layers import GraphAggregation, RelationalGraphConv
from molgan.mol.nn.models import GraphCritic, MolGenerator

N, T, E = 9, 6, 4


@pytest.mark.parametrize("post", ["softmax", "gumbel", "st-gumbel", "st-argmax"])
def test_generator_shapes_symmetry_and_no_self_bonds(post):
    torch.manual_seed(0)
    generator = MolGenerator(8, N, T, E, hidden=(16, 32), post=post)
    bonds, atoms = generator(torch.randn(5, 8))
    assert bonds.shape == (5, N, N, E) and atoms.shape == (5, N, T)
    assert torch.allclose(bonds, bonds.transpose(1, 2))
    assert torch.allclose(bonds.sum(-1), torch.ones(5, N, N)) and torch.allclose(atoms.sum(-1), torch.ones(5, N))
    diagonal = bonds[:, torch.arange(N), torch.arange(N)]
    assert torch.allclose(diagonal[..., 0], torch.ones(5, N))
    if post.startswith("st"):
        assert set(bonds.unique().tolist()) <= {0.0, 1.0}


def test_gradients_flow_through_the_straight_through_path():
    generator = MolGenerator(8, N, T, E, hidden=(16,), post="st-argmax")
    critic = GraphCritic(T, E, conv_dims=(8,), readout_dim=8, head_dims=(8,))
    critic(*generator(torch.randn(4, 8))).sum().backward()
    grads = [p.grad for p in generator.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert all(g.abs().sum() > 0 for g in grads)


def test_straight_through_without_gradients_is_the_one_hot_and_torch_func_still_differentiates():
    # Without autograd (the critic steps' fakes) the output is the argmax's one-hot, no
    # softmax; the compiled generator update runs torch.func.grad inside no_grad, which must
    # still take the straight-through path.
    torch.manual_seed(0)
    generator = MolGenerator(8, N, T, E, hidden=(16,), post="st-argmax")
    critic = GraphCritic(T, E, conv_dims=(8,), readout_dim=8, head_dims=(8,))
    z = torch.randn(4, 8)
    with torch.no_grad():
        hard = generator(z)
    for value, with_grad in zip(hard, generator(z)):
        assert torch.equal(value, value.round()) and torch.allclose(value, with_grad)
    critic(*generator(z)).sum().backward()
    params = {name: p.detach() for name, p in generator.named_parameters()}
    with torch.no_grad():
        grads = torch.func.grad(lambda p: critic(*torch.func.functional_call(generator, p, (z,))).sum())(params)
    for name, p in generator.named_parameters():
        assert p.grad.abs().sum() > 0 and torch.allclose(grads[name], p.grad, atol=1e-6), name


def _one_hot_batch(batch=3):
    atoms = torch.randint(0, T, (batch, N))
    bonds = torch.triu(torch.randint(0, E, (batch, N, N)), 1)
    bonds = bonds + bonds.transpose(1, 2)
    return torch.nn.functional.one_hot(bonds, E).float(), torch.nn.functional.one_hot(atoms, T).float()


@pytest.mark.parametrize("batch_layer", ["none", "std", "discrimination"])
def test_critic_is_invariant_to_node_permutation(batch_layer):
    torch.manual_seed(0)
    critic = GraphCritic(T, E, conv_dims=(16, 8), readout_dim=8, head_dims=(8,), minibatch_std=batch_layer == "std",
                         minibatch_discrimination=batch_layer == "discrimination").eval()
    bonds, atoms = _one_hot_batch()
    perm = torch.randperm(N)
    permuted = (bonds[:, perm][:, :, perm], atoms[:, perm])
    assert torch.allclose(critic(bonds, atoms), critic(*permuted), atol=1e-5)


def test_critic_ignores_absent_atoms_and_takes_soft_inputs():
    torch.manual_seed(0)
    critic = GraphCritic(T, E, conv_dims=(8,), readout_dim=8, head_dims=(8,), valence_feature=False).eval()
    bonds, atoms = _one_hot_batch(1)
    atoms[0, -1] = torch.nn.functional.one_hot(torch.tensor(0), T).float()  # last atom absent
    bonds[0, -1, :] = bonds[0, :, -1] = torch.nn.functional.one_hot(torch.tensor(0), E).float()
    changed = atoms.clone()
    changed[0, -1] = torch.full((T,), 0.0)
    changed[0, -1, 0] = 1.0  # still absent: same score
    assert torch.allclose(critic(bonds, atoms), critic(bonds, changed))
    soft = (torch.softmax(torch.randn(2, N, N, E), -1), torch.softmax(torch.randn(2, N, T), -1))
    assert critic(*soft).shape == (2,)
    reward_net = GraphCritic(T, E, conv_dims=(8,), readout_dim=8, head_dims=(8,), sigmoid_output=True)
    assert ((reward_net(*soft) > 0) & (reward_net(*soft) < 1)).all()


def test_layers_have_useful_repr_and_reset():
    conv = RelationalGraphConv(5, 7, 3)
    conv.reset_parameters()
    assert repr(conv) == "RelationalGraphConv(5, 7, num_relations=3)"
    assert repr(GraphAggregation(4, 2)) == "GraphAggregation(4, 2)"


VOCAB = AtomVocab.from_strings(["C", "N", "O", "F", "N+", "O-"])


@pytest.mark.parametrize("in_channels, out_channels", [(6, 5), (5, 6)])  # transform / aggregate first
def test_relational_conv_matches_the_textbook_formula(in_channels, out_channels):
    torch.manual_seed(0)
    conv = RelationalGraphConv(in_channels, out_channels, 3)
    assert conv.aggregate_first == (in_channels < out_channels)
    x, adj = torch.randn(4, 7, in_channels), torch.rand(4, 7, 7, 3)
    degree = adj.sum(dim=(2, 3)).clamp_min(1.0)
    expected = torch.stack([torch.stack([
        conv.self_loop(x[b, i]) + sum(adj[b, i, j, r] * (x[b, j] @ conv.relation_weight[r])
                                      for j in range(7) for r in range(3)) / degree[b, i]
        for i in range(7)]) for b in range(4)])
    torch.testing.assert_close(conv(x, adj), expected, rtol=1e-5, atol=1e-5)


def test_latent_scale_controls_the_spread_of_samples():
    from molgan.mol.sampling import sample_logits

    torch.manual_seed(0)
    generator = MolGenerator(8, N, len(VOCAB), E, hidden=(16,))
    _, tiny = sample_logits(generator, 50, torch.device("cpu"), latent_scale=1e-6)  # atom logits
    _, wide = sample_logits(generator, 50, torch.device("cpu"), latent_scale=3.0)
    assert tiny.std(0).max() < 1e-4 < wide.std(0).max()  # near z = 0 every sample is the same graph


def test_ring_inputs_count_closed_walks_of_three_to_six_bonds():
    from molgan.mol.nn.models import closed_walks

    # Closed walks from a vertex of a triangle: (2^k + 2 (-1)^k) / 3 for length k; of a
    # hexagon: none of odd length, 6 of length 4 (as on a line: C(4, 2)), 20 + 2 of length 6
    # (C(6, 3) on a line, plus once around the ring either way).
    triangle = torch.ones(3, 3) - torch.eye(3)
    hexagon = torch.zeros(6, 6)
    for i in range(6):
        hexagon[i, (i + 1) % 6] = hexagon[(i + 1) % 6, i] = 1
    walks = closed_walks(torch.stack([torch.block_diag(triangle, torch.zeros(3, 3)), hexagon])).expm1()
    assert torch.allclose(walks[0, :3], torch.tensor([2.0, 6, 10, 22]).expand(3, 4), atol=1e-4)
    assert (walks[0, 3:] == 0).all()  # atoms on no bond
    assert torch.allclose(walks[1], torch.tensor([0.0, 6, 0, 22]).expand(6, 4), atol=1e-4)
    # The critic reads them (the score changes) and stays invariant to the atoms' order.
    torch.manual_seed(0)
    bonds, atoms = _one_hot_batch()
    kwargs = dict(conv_dims=(16, 8), readout_dim=8, head_dims=(8,), minibatch_std=False)
    torch.manual_seed(1)
    critic = GraphCritic(T, E, ring_feature=True, **kwargs).eval()
    x, _ = critic.atom_inputs(bonds, atoms)
    assert x.shape[-1] == T + 1 + 4
    perm = torch.randperm(N)
    assert torch.allclose(critic(bonds, atoms), critic(bonds[:, perm][:, :, perm], atoms[:, perm]), atol=1e-5)


@pytest.mark.parametrize("n", [27, 50])
def test_drug_sized_graphs_shapes_masks_and_valid_output(n):
    # MOSES' atom types, aromatic bonds: the layer's graphs at N = 27 (MOSES) and 50 (the
    # default atom limit) are symmetric, bond only present atoms, and decode to molecules.
    from molgan.mol.config import MolModelConfig
    from molgan.mol.decoding.decode import decode_logits, kekule_roles, max_valences
    from molgan.mol.nn.build import build_models

    torch.manual_seed(0)
    vocab = AtomVocab.from_strings(["C", "N", "O", "F", "S", "Cl", "Br"])
    config = MolModelConfig(generator_dims=(32,), conv_dims=(16,), readout_dim=8, head_dims=(8,))
    generator, critic = build_models(config, n, len(vocab), max_valences(vocab).tolist(), 5,
                                     kekule_roles(vocab).tolist())
    bonds, atoms = generator(torch.randn(6, config.latent_dim))
    assert bonds.shape == (6, n, n, 5) and atoms.shape == (6, n, len(vocab))
    bond_index, atom_index = bonds.argmax(-1), atoms.argmax(-1)
    assert torch.equal(bond_index, bond_index.transpose(1, 2))
    absent = atom_index == 0
    assert (bond_index[absent.unsqueeze(2).expand_as(bond_index)] == 0).all()  # no bond to a missing atom
    score = critic(bonds, atoms)
    assert score.shape == (6,) and torch.isfinite(score).all()
    bond_logits, atom_logits = generator.logits(torch.randn(20, config.latent_dim))
    decoded = decode_logits(bond_logits, atom_logits, vocab, "connected", "st-valence")
    assert all(d.smiles for d in decoded), [d for d in decoded if not d.smiles]
    # Padding is invisible to the critic: the same graphs padded to N + 5 atoms score the same.
    critic.eval()
    padded_bonds = torch.nn.functional.pad(bonds, (0, 0, 0, 5, 0, 5))
    padded_bonds[:, n:, :, 0] = padded_bonds[:, :, n:, 0] = 1.0
    padded_atoms = torch.nn.functional.pad(atoms, (0, 0, 0, 5))
    padded_atoms[:, n:, 0] = 1.0
    assert torch.allclose(critic(bonds, atoms), critic(padded_bonds, padded_atoms), atol=1e-5)
