"""The policy steps' anchor: the generator as it was when they began, and the KL penalty to it.

A generator trained by likelihood and then moved by a policy gradient (a critic's score, a
reward) can leave what it learnt for whatever the score likes best. The penalty keeps it
near its start: the policy climbs

    J = E_x~p[score(x)] - β · KL(p || p_anchor),

whose gradient, per sample x of the policy p, is that of a score less
β · (log p(x) - log p_anchor(x)): the sample's own estimate of the divergence (KL-regularised
fine-tuning, as in RL from a pretrained language model).
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn


class PolicyAnchor:
    """A frozen copy of the generator at the first policy step, and per-sample divergences
    from it.

    Args:
        weight: β, the price of one nat of divergence in units of the standardised score.
    """

    def __init__(self, weight: float):
        self.weight = weight
        self.module: nn.Module | None = None

    def start(self, generator: nn.Module) -> None:
        """Freeze a copy of `generator` (at the first policy step, or on resume)."""
        self.module = copy.deepcopy(generator).eval()
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def divergence(self, graphs: tuple[Tensor, ...], cond: Tensor | None, log_prob: Tensor) -> Tensor:
        """(B,) log p(x) - log p_anchor(x) of the policy's samples x, given their `log_prob`
        (B,) under the policy: a sample's estimate of KL(p || p_anchor), in nats."""
        anchor = -self.module.negative_log_likelihood(*graphs, cond=cond).float()
        return log_prob.detach().float() - anchor

    def state_dict(self) -> dict | None:
        return None if self.module is None else self.module.state_dict()

    def load_state_dict(self, state: dict | None, generator: nn.Module) -> None:
        if state is not None:
            self.start(generator)
            self.module.load_state_dict(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight:g}, started={self.module is not None})"
