"""Rewards for the policy steps of a reward run: RDKit's reward minus a price on repeats.

A generator trained by likelihood and then asked for a high reward trades reward for
repeats along one line (docs/experiments.md): the same few high-scoring molecules come out
again and again. The policy steps (`train.policy_steps`, molgan/core/trainer.py) climb the
gradient of

    J = E[reward(x)] - w · Σ_m p(m)²

over the generator's own samples x, where p(m) is the chance that a sample is molecule m:
Σ_m p(m)² is the chance that two samples are the same molecule, so the second term prices
diversity directly (1 - uniqueness in n samples is about n/2 · Σ p²). Its gradient, per
sample, is that of a reward r(x) - 2w · p(m(x)). p(m) is read from the canonical SMILES of
the latest `memory` samples: by molecule, not by the generator's atom order, so the same
molecule generated along another atom order is still a repeat.
"""
from __future__ import annotations

from collections import Counter, deque
from typing import Callable

import torch
from torch import Tensor, nn

from molgan.mol.chem.graph import decode_dense
from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.rewards.functions import RewardFunction


def _draw(generator: nn.Module, count: int, cond: Tensor | None, device: torch.device) -> tuple[Tensor, Tensor]:
    """`count` graphs of `generator` in evaluation mode, without gradients: bonds, atoms."""
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        bonds, atoms, _ = generator.sample(torch.randn(count, generator.latent_dim, device=device), cond)
    generator.train(was_training)
    return bonds, atoms


class RepeatPricedReward:
    """Scores of a generator's samples for its policy steps: reward - 2w · p̂(molecule).

    Args:
        reward: the run's reward (invalid molecules score 0); None for none (a policy that
            climbs the critic's score alone).
        vocab: the atom types of the generator's graphs.
        repeat_price: w, the price of Σ p(m)² in reward units.
        memory: how many of the latest samples estimate p(m).
        conditions: count -> the conditions to sample with (None: unconditioned).
    """

    def __init__(self, reward: RewardFunction | None, vocab: AtomVocab, repeat_price: float, memory: int,
                 conditions: Callable[[int], Tensor | None], docking=None):
        self.reward, self.vocab, self.repeat_price, self.memory = reward, vocab, repeat_price, memory
        self.conditions = conditions
        # A docking term (molgan/mol/rewards/docking_term.py, DockingTerm): multiplies the reward.
        self.docking = docking
        self._batches: deque[list[str]] = deque()  # the remembered samples' SMILES, batch by batch
        self._counts: Counter[str] = Counter()
        self._remembered = 0

    def sample(self, generator: nn.Module, batch_size: int, device: torch.device
               ) -> tuple[tuple[Tensor, Tensor], Tensor | None, Tensor, dict[str, float]]:
        """`batch_size` graphs of `generator` (bonds (B, N, N), atoms (B, N) indices), their
        conditions, their scores (B,) and statistics to log."""
        cond = self.conditions(batch_size)
        cond = None if cond is None else cond.to(device)
        bonds, atoms = _draw(generator, batch_size, cond, device)
        smiles = self._smiles(bonds, atoms)
        stats = {}
        factor = None
        if self.docking is not None:  # may dock some of these samples (or of more) first
            def more(count: int) -> tuple[list[str | None], Tensor, Tensor]:
                extra_bonds, extra_atoms = _draw(generator, count, None, device)
                return self._smiles(extra_bonds, extra_atoms), extra_bonds, extra_atoms

            factor, stats = self.docking(smiles, bonds, atoms, self.reward, more if cond is None else None)
        scores, reward, share = self.score(smiles, factor)
        distinct = len(set(smiles) - {None}) / max(1, sum(s is not None for s in smiles))
        stats.update({"policy/reward": float(reward.mean()), "policy/repeat_share": float(share.mean()),
                      "policy/distinct": distinct})
        replayed = self.docking.replay_batch(self.reward) if self.docking is not None and cond is None else None
        if replayed is not None:  # the best docked molecules join the batch, scored alike, never priced as repeats
            again, again_bonds, again_atoms = replayed
            again_bonds, again_atoms = again_bonds.to(bonds.device), again_atoms.to(atoms.device)
            again_factor, _ = self.docking.value(again, again_bonds, again_atoms)
            earned = again_factor * (torch.as_tensor(self.reward(again), dtype=torch.float32)
                                     if self.reward is not None else 1.0)
            bonds, atoms = torch.cat([bonds, again_bonds]), torch.cat([atoms, again_atoms])
            scores = torch.cat([scores, earned])
            stats["policy/replayed"] = float(earned.mean())
        return (bonds, atoms), cond, scores.to(device), stats

    def score(self, smiles: list[str | None], factor: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Remember a batch of canonical SMILES (None: invalid) and score it: (scores, rewards,
        shares), each (B,): a molecule's share of the remembered samples, this batch's included.
        `factor` (B,) multiplies the rewards (the docking term)."""
        # No reward: a policy that climbs the critic's score alone, repeats priced all the same.
        reward = torch.as_tensor(self.reward(smiles) if self.reward is not None else [0.0] * len(smiles),
                                 dtype=torch.float32)
        if factor is not None:
            reward = reward * factor
        self._remember([s for s in smiles if s is not None])
        share = torch.tensor([self._counts[s] / self._remembered if s is not None else 0.0 for s in smiles])
        return reward - 2 * self.repeat_price * share, reward, share

    def _smiles(self, bonds: Tensor, atoms: Tensor) -> list[str | None]:
        return [decode_dense(a, b, self.vocab)[0] for a, b in zip(atoms.cpu().numpy(), bonds.cpu().numpy())]

    def _remember(self, smiles: list[str]) -> None:
        self._batches.append(smiles)
        self._counts.update(smiles)
        self._remembered += len(smiles)
        while len(self._batches) > 1 and self._remembered - len(self._batches[0]) >= self.memory:
            old = self._batches.popleft()
            self._remembered -= len(old)
            for molecule in old:
                self._counts[molecule] -= 1
                if not self._counts[molecule]:
                    del self._counts[molecule]

    def state_dict(self) -> dict:
        return {"batches": [list(b) for b in self._batches],
                **({"docking": self.docking.state_dict()} if self.docking is not None else {})}

    def load_state_dict(self, state: dict) -> None:
        self._batches, self._counts, self._remembered = deque(), Counter(), 0
        for batch in state["batches"]:
            self._remember(batch)
        if self.docking is not None:
            self.docking.load_state_dict(state["docking"])
