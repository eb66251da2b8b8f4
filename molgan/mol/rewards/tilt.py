"""The real molecules a reward run learns from, tilted towards the reward.

MolGAN's reward term pulls the generator through a learned reward network, one gradient
among the adversarial and matching terms that hold it to the data. With `rl.tilt` = t the
critic also sees the molecules the reward prefers: the training rows are redrawn (with
replacement) with probability proportional to exp(t * reward), so the adversarial term
itself asks for high-reward molecules, from a distribution as varied as the data allows
(QM9 and QED at t = 30: the mean QED of the real molecules 0.466 -> 0.574, 32,462
distinct among 104,422 draws, an effective sample size of 10,888; docs/experiments.md).
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor

from molgan.mol.rewards.functions import MOLECULE_REWARDS, RewardFunction

#: The draw of the tilted rows is fixed, so that a resumed run sees the same data.
TILT_SEED = 0


def _score_chunk(smiles: Sequence[str], spec: str) -> list[float]:
    return RewardFunction(spec).molecule_scores(smiles).tolist()


def training_rewards(smiles: Sequence[str], spec: str, processed_dir: str | Path, progress: bool = True) -> Tensor:
    """(M,) float64 per-molecule reward (`spec`'s molecule rewards; batch rewards and
    novelty do not apply to the data) of each training SMILES, computed once in parallel and
    cached beside the dataset as reward_SPEC.pt."""
    from molgan.mol.data.convert import cached_values

    names = [n for n in RewardFunction(spec).names if n in MOLECULE_REWARDS]
    return cached_values(Path(processed_dir) / f"reward_{'-'.join(names) or 'none'}.pt", smiles,
                         partial(_score_chunk, spec=",".join(names) or "validity"), f"the reward {spec}", progress)


def _weights(rewards: Tensor, strength: float) -> Tensor:
    """The tilt's unnormalised weight of each row, exp(strength * reward), shifted so the
    largest is 1 (no overflow)."""
    return torch.exp(strength * (rewards - rewards.max())).double()


def tilted_rows(rewards: Tensor, strength: float) -> Tensor:
    """len(rewards) row indices drawn with replacement, row i with probability
    proportional to exp(strength * rewards[i]) (a fixed draw: TILT_SEED)."""
    generator = torch.Generator().manual_seed(TILT_SEED)
    return torch.multinomial(_weights(rewards, strength), len(rewards), replacement=True, generator=generator)


def describe_tilt(rewards: Tensor, rows: Tensor, strength: float) -> str:
    distinct = len(torch.unique(rows))
    return (f"real molecules drawn with probability ~ exp({strength:g} * reward): mean reward "
            f"{rewards.mean():.3f} -> {rewards[rows].mean():.3f}, {distinct:,} distinct of {len(rows):,} "
            f"(effective sample size {effective_size(rewards, strength):,.0f})")


def effective_size(rewards: Tensor, strength: float) -> float:
    """Kish's effective sample size of the tilt's weights: (sum w)^2 / sum w^2."""
    weights = _weights(rewards, strength)
    return float(weights.sum() ** 2 / (weights ** 2).sum())
