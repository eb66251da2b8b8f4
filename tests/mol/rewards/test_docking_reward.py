"""MolGAN's reward network for docking: it learns scores and the oracle's failures, chooses
what to dock, keeps to its budget and its state (docked molecules) through a checkpoint."""
import numpy as np
import torch

from molgan.mol.chem.graph import encode_dense, smiles_to_graph
from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.rewards.docking import DockingReward, DockingRewardNetwork, dock_value

VOCAB = AtomVocab.from_strings(["C", "N", "O"])
MOLECULES = ["CCO", "CC(=O)O", "CCN", "CN(C)C", "OCC(O)CO", "CC(C)=O", "C1CC1", "CCOC", "NCC(=O)O", "OC1CCC1",
             "CCCCO", "CCCCCN", "OCCCCCO", "CC(C)CC(C)C", "NCCN", "CCC(=O)OC"]
RINGS = ["C1CCCC1", "NC1CC1", "C1CCOC1", "CC1CCC1", "OC1CCCC1", "C1CNC1"]


def graphs(smiles):
    encoded = [encode_dense(smiles_to_graph(s)[1], VOCAB, 9) for s in smiles]
    atoms = torch.from_numpy(np.stack([a for a, _ in encoded])).long()
    bonds = torch.from_numpy(np.stack([b for _, b in encoded])).long()
    return bonds, atoms


def heavy_atom_oracle(calls):
    """A stand-in for Vina that is a function of the graph: -1 kcal/mol per heavy atom."""
    from rdkit import Chem

    def oracle(smiles):
        calls.append(list(smiles))
        return [None if s == "CCN" else -1.0 * Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in smiles]
    return oracle


def make(calls, budget=12, per_round=6):
    torch.manual_seed(0)
    network = DockingRewardNetwork(len(VOCAB), 4, members=3, conv_dims=(32, 32), readout_dim=32, head_dims=(32,))
    return DockingReward(heavy_atom_oracle(calls), network, budget=budget, per_round=per_round, fit_steps=0)


def test_dock_value_rewards_better_binding_everywhere():
    value = dock_value(torch.tensor([-2.0, -5.0, -7.0, -9.0, -13.0, -15.0]))
    assert (value > 0).all() and (value.diff() > 0).all()  # positive, and better binding pays more
    assert abs(value[4] - 1.0) < 0.01 and abs((value[5] - value[4]) - 2 / 6) < 0.01  # -13 is 1, then 1/6 per kcal


def test_the_network_learns_the_scores_of_a_fixed_set():
    calls = []
    reward = make(calls, budget=len(MOLECULES), per_round=len(MOLECULES))
    bonds, atoms = graphs(MOLECULES)
    reward.dock(MOLECULES, bonds, atoms)
    truth = torch.tensor(reward.docked.scores)
    rows = [MOLECULES.index(s) for s in reward.docked.smiles]
    first = reward.fit(steps=1)["dock/net_loss"]
    last = reward.fit(steps=300)["dock/net_loss"]
    mean, spread, _ = reward.predict(bonds[rows], atoms[rows])
    error = (mean - truth).abs().mean()
    guess = (truth - truth.mean()).abs().mean()  # predicting the mean score for every molecule: 1.2
    # Each member sees a bootstrap sample (about 63 % of the 15): the ensemble is judged on all.
    assert last < 0.2 * first and error < 0.5 * guess, (first, last, error, guess)
    assert (spread >= 0).all() and spread.max() > 0


def test_selection_docks_the_most_promising_new_molecules_within_the_budget():
    calls = []
    reward = make(calls, budget=5, per_round=3)
    smiles = ["CCO", "CCO", None, "CCCCO", "CCN", "OCCCCCO"]
    mean = torch.tensor([-9.0, -9.0, -20.0, -6.0, -8.0, -7.0])
    chosen = reward.select(smiles, mean, torch.zeros(6), torch.ones(6))
    assert chosen == [0, 4, 5]  # best first; the copy of CCO and the invalid row never
    bonds, atoms = graphs([smiles[i] for i in chosen])
    stats = reward.dock([smiles[i] for i in chosen], bonds, atoms)
    assert calls == [["CCO", "CCN", "OCCCCCO"]] and stats["dock/calls"] == 3.0
    assert reward.known_score("CCO") == -3.0 and reward.known_score("CCN") is None  # failed: recorded, no score
    # docked or failed molecules are not chosen again; the budget leaves room for two more
    chosen = reward.select(smiles, mean, torch.zeros(6), torch.ones(6))
    assert chosen == [3] and reward.left == 2
    # optimism: a wide spread makes a poor mean worth docking
    assert reward.select(["CCCCO", "CCOC"], torch.tensor([-6.0, -7.0]), torch.tensor([3.0, 0.0]),
                         torch.ones(2)) == [0, 1]


def test_docked_scores_replace_predictions_and_survive_a_checkpoint():
    calls = []
    reward = make(calls)
    bonds, atoms = graphs(["CCO", "CCCCO", "OCC(O)CO"])
    reward.dock(["CCO", "CCCCO"], bonds[:2], atoms[:2])
    scores, docked, _ = reward.scores(["CCO", "CCCCO", "OCC(O)CO"], bonds, atoms)
    assert scores[:2].tolist() == [-3.0, -5.0] and docked.tolist() == [True, True, False]
    failing, failing_atoms = graphs(["CCN"])
    reward.dock(["CCN"], failing, failing_atoms)
    restored = make([])
    restored.load_state_dict(reward.state_dict())
    assert restored.docked.smiles == ["CCO", "CCCCO"] and restored.calls == 3
    assert restored.failed == {"CCN": "no score"} and restored.unscored.smiles == ["CCN"]
    again, _, _ = restored.scores(["CCO", "CCCCO", "OCC(O)CO"], bonds, atoms)
    assert torch.equal(again, scores)


def test_the_network_learns_which_molecules_the_oracle_fails_on():
    """An oracle that fails on every ring: after fitting, rings are predicted to fail and chains
    to dock; a molecule known to fail earns nothing, whatever its predicted score."""
    def no_rings(smiles):
        return [None if "1" in s else -1.0 * len(s) for s in smiles]

    torch.manual_seed(0)
    network = DockingRewardNetwork(len(VOCAB), 4, members=3, conv_dims=(32, 32), readout_dim=32, head_dims=(32,))
    sent = MOLECULES + RINGS
    reward = DockingReward(no_rings, network, budget=len(sent), per_round=len(sent), fit_steps=0)
    bonds, atoms = graphs(sent)
    reward.dock(sent, bonds, atoms)
    assert sorted(reward.failed) == sorted(["C1CC1", "OC1CCC1", *RINGS]) and len(reward.docked) == len(MOLECULES) - 2
    stats = reward.fit(steps=300)
    assert stats["dock/failure_loss"] < 0.1, stats
    unseen = ["C1CCC1", "OC1CC1", "CCCO", "CCCCN"]
    failure = reward.predict(*graphs(unseen)).failure
    assert failure[:2].mean() > 0.5 > failure[2:].mean(), failure  # two graph convolutions: no ring detector
    scores, docked, dockable = reward.scores(["C1CC1", "CCO", "C1CCC1"], *graphs(["C1CC1", "CCO", "C1CCC1"]))
    assert docked.tolist() == [False, True, False] and dockable[:2].tolist() == [0.0, 1.0]
    assert 0.0 < dockable[2] < 0.5
