"""The policy steps' scores: the reward (QED recomputed here with RDKit) minus twice the
repeat price times each molecule's share of the remembered samples, which forget the oldest
batches past `memory` and survive a checkpoint."""
import pytest
import torch
from rdkit import Chem
from rdkit.Chem import QED

from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.rewards.functions import RewardFunction
from molgan.mol.rewards.policy import RepeatPricedReward

ASPIRIN, ETHANOL, PYRIDINE = "CC(=O)Oc1ccccc1C(=O)O", "CCO", "c1ccncc1"


def _scorer(price=1.0, memory=6):
    return RepeatPricedReward(RewardFunction("qed"), AtomVocab.from_strings(["C", "N", "O"]), price, memory,
                              conditions=lambda count: None)


def _qed(smiles):
    return QED.qed(Chem.MolFromSmiles(smiles))


def test_a_repeated_molecule_pays_for_its_share_of_the_remembered_samples():
    scorer = _scorer(price=1.0)
    scores, rewards, shares = scorer.score([ASPIRIN, ASPIRIN, ETHANOL, None])
    assert rewards.tolist() == pytest.approx([_qed(ASPIRIN), _qed(ASPIRIN), _qed(ETHANOL), 0.0], abs=1e-6)
    # Three valid samples remembered: aspirin is two of them, ethanol one; invalid ones count for nothing.
    assert shares.tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3, 0.0])
    assert scores.tolist() == pytest.approx([_qed(ASPIRIN) - 4 / 3, _qed(ASPIRIN) - 4 / 3,
                                             _qed(ETHANOL) - 2 / 3, 0.0], abs=1e-6)
    # The next batch still sees aspirin's earlier copies.
    _, _, shares = scorer.score([ASPIRIN, PYRIDINE])
    assert shares.tolist() == pytest.approx([3 / 5, 1 / 5])


def test_the_memory_forgets_the_oldest_batches_and_is_checkpointed():
    scorer = _scorer(memory=4)
    scorer.score([ASPIRIN, ASPIRIN])
    scorer.score([ETHANOL, ETHANOL])
    _, _, shares = scorer.score([PYRIDINE, ETHANOL])  # the aspirin batch is forgotten: 4 remembered
    assert shares.tolist() == pytest.approx([1 / 4, 3 / 4])
    restored = _scorer(memory=4)
    restored.load_state_dict(scorer.state_dict())
    assert restored.score([ASPIRIN])[2].tolist() == scorer.score([ASPIRIN])[2].tolist() == pytest.approx([1 / 5])


def test_without_a_price_the_scores_are_the_rewards():
    scores, rewards, _ = _scorer(price=0.0).score([ASPIRIN, ASPIRIN, PYRIDINE])
    assert torch.equal(scores, rewards)
