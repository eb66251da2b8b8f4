"""MolGAN's reinforcement term as an extra objective of the shared trainer."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from molgan.mol.chem.vocab import BOND_NAMES, AtomVocab
from molgan.mol.config import MolModelConfig, MolRLConfig
from molgan.mol.decoding.decode import decode_logits
from molgan.mol.nn.models import GraphCritic
from molgan.mol.rewards.functions import RewardFunction


class RewardObjective:
    """MolGAN's RL term: a reward network learns RDKit rewards; the generator ascends it."""

    name = "reward"
    mixed = True

    def __init__(self, vocab: AtomVocab, known: frozenset[str], model: MolModelConfig, config: MolRLConfig,
                 device: torch.device, bond_types: int = len(BOND_NAMES)):
        self.vocab, self.config = vocab, config
        self.reward = RewardFunction(config.reward, known)
        self.net = GraphCritic(len(vocab), bond_types, model.conv_dims, model.readout_dim, model.head_dims,
                               valence_feature=model.valence_feature, sigmoid_output=True).to(device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), config.lr)

    def _smiles(self, bonds: Tensor, atoms: Tensor) -> list[str | None]:
        return [d.smiles for d in decode_logits(bonds, atoms, self.vocab, "raw")]

    def critic_step(self, real: tuple[Tensor, ...], fake: tuple[Tensor, ...], step: int,
                    real_cond: Tensor | None = None, fake_cond: Tensor | None = None) -> dict[str, float]:
        if step < self.config.warmup_steps:
            return {}
        device = real[0].device
        r_real = torch.as_tensor(self.reward(self._smiles(*real)), dtype=torch.float32, device=device)
        r_fake = torch.as_tensor(self.reward(self._smiles(*fake)), dtype=torch.float32, device=device)
        loss = F.mse_loss(self.net(*real), r_real) + F.mse_loss(self.net(*(t.detach() for t in fake)), r_fake)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"rl/net_loss": loss.detach(), "rl/reward_fake": r_fake.mean()}

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor | None:
        if step < self.config.warmup_steps:
            return None
        return -self.net(*fake).mean()

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])

