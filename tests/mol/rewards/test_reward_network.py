"""MolGAN's reward network (molgan/mol/rewards/objective.py) learns RDKit's rewards: on a
fixed batch its optimizer steps change its weights and lower its loss, and its predictions
come to rank the molecules as QED (recomputed here) does."""
import torch
from helpers import MOLECULES, VOCAB, logits_for
from rdkit import Chem
from rdkit.Chem import QED

from molgan.mol.config import MolModelConfig, MolRLConfig
from molgan.mol.rewards.objective import RewardObjective


def test_the_reward_network_fits_rdkit_rewards_on_a_fixed_batch():
    torch.manual_seed(0)
    objective = RewardObjective(VOCAB, frozenset(), MolModelConfig(), MolRLConfig(reward="qed", lr=1e-3),
                                torch.device("cpu"), bond_types=4)
    molecules = MOLECULES[:8]
    bonds, atoms = logits_for(molecules, VOCAB, 9)
    graphs = (torch.softmax(bonds * 10, -1), torch.softmax(atoms * 10, -1))  # one-hot graphs
    before = {k: v.clone() for k, v in objective.net.state_dict().items()}
    losses = [float(objective.critic_step(graphs, graphs, step=k)["rl/net_loss"]) for k in range(150)]
    changed = [k for k, v in objective.net.state_dict().items() if not torch.equal(v, before[k])]
    assert len(changed) >= len(before) // 2, changed
    assert losses[-1] < 0.2 * losses[0], losses[::30]
    qed = torch.tensor([QED.qed(Chem.MolFromSmiles(s)) for s in molecules])
    with torch.no_grad():
        predicted = objective.net(*graphs)
    assert (predicted - qed).abs().max() < 0.1, (predicted, qed)
    # the generator's term is the network's mean prediction, with gradients to the graphs
    soft = tuple(t.clone().requires_grad_() for t in graphs)
    loss = objective.generator_loss(soft, step=0)
    loss.backward()
    assert torch.isclose(loss.detach(), -predicted.mean(), atol=1e-5) and soft[0].grad.abs().sum() > 0
