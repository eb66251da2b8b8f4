import numpy as np
import pytest
import torch

from molgan.mol.decoding.decode import decode_logits, largest_component, max_valences
from molgan.mol.chem.graph import MolGraph, smiles_to_graph
from molgan.mol.nn.layers import GraphAggregation, RelationalGraphConv
from molgan.mol.nn.models import GraphCritic, MolGenerator
from molgan.mol.rewards.functions import RewardFunction, logp, qed, sa, uniqueness, validity
from molgan.mol.chem.vocab import AtomType, AtomVocab

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


def _logits_for(smiles_list, n=N):
    """Logits whose argmax is exactly the given molecules."""
    from molgan.mol.chem.graph import encode_dense

    atoms = torch.zeros(len(smiles_list), n, len(VOCAB))
    bonds = torch.zeros(len(smiles_list), n, n, E)
    for k, smiles in enumerate(smiles_list):
        a, b = encode_dense(smiles_to_graph(smiles)[1], VOCAB, n)
        atoms[k] = torch.nn.functional.one_hot(torch.from_numpy(a).long(), len(VOCAB)) * 10
        bonds[k] = torch.nn.functional.one_hot(torch.from_numpy(b).long(), E) * 10
    return bonds, atoms


def test_raw_and_capped_decoding():
    bonds, atoms = _logits_for(["CCO", "C[N+](=O)[O-]"])
    assert [d.smiles for d in decode_logits(bonds, atoms, VOCAB, "raw")] == ["CCO", "C[N+](=O)[O-]"]
    # over-bonded carbon: 5 single bonds. Raw decoding fails; capped keeps 4 of them.
    bonds, atoms = _logits_for(["CC(C)(C)C"])
    atoms[0, 5] = torch.nn.functional.one_hot(torch.tensor(VOCAB.index(AtomType("C"))), len(VOCAB)) * 10
    bonds[0, 1, 5, 1] = bonds[0, 5, 1, 1] = 5.0  # weaker than the other bonds
    bonds[0, 1, 5, 0] = bonds[0, 5, 1, 0] = 0.0
    raw, capped = (decode_logits(bonds, atoms, VOCAB, mode)[0] for mode in ("raw", "capped"))
    assert raw.smiles is None and raw.reason == "valence"
    assert capped.smiles == "CC(C)(C)C"  # the extra atom is left unbonded, then dropped


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


def test_largest_component():
    graph = MolGraph(tuple(AtomType(s) for s in "CCOCN"), ((0, 1, 1), (1, 2, 1), (3, 4, 1)))
    kept = largest_component(graph)
    assert [str(a) for a in kept.atoms] == ["C", "C", "O"] and kept.bonds == ((0, 1, 1), (1, 2, 1))


def test_rewards_on_known_molecules():
    from rdkit import Chem

    aspirin = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    mols = [aspirin, None, Chem.MolFromSmiles("CCO")]
    assert qed(mols)[0] == pytest.approx(0.55, abs=0.01)
    for reward in (validity, qed, logp, sa):
        values = reward(mols)
        assert values[1] == 0.0 and ((values >= 0) & (values <= 1)).all()
    assert uniqueness([aspirin, aspirin, None]).tolist() == [0.5, 0.5, 0.0]


def test_reward_function_products_novelty_and_cache():
    reward = RewardFunction("qed,novelty", known_smiles=["CCO"])
    values = reward(["CCO", "CC(=O)Oc1ccccc1C(=O)O", None])
    assert values[0] == 0.0 and values[1] == pytest.approx(0.55, abs=0.01) and values[2] == 0.0
    assert len(reward._cache) == 2
    with pytest.raises(ValueError, match="unknown reward 'potency'"):
        RewardFunction("qed,potency")
    assert np.allclose(RewardFunction("validity,uniqueness")(["C", "C", None]), [0.5, 0.5, 0.0])


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
