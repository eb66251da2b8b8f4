"""Property regression: how far the generator's molecules are from the properties asked for.

A relational-GCN regressor learns the normalised properties of real molecules (their values
are known exactly, molgan/mol/conditioning.py) and of the generator's own molecules (RDKit's
values of their decoded SMILES: trained on real ones alone, it read generated graphs wrongly
and the generator learnt to please the reading, not to change the property); the generator
is charged the squared error between the regressor's reading of its graphs and the condition
it was given.
"""
from __future__ import annotations

import logging
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from molgan.mol.nn.models import GraphCritic

log = logging.getLogger(__name__)


class PropertyRegression:
    """weight · MSE(regressor(generated graphs), condition); the regressor trains on real
    graphs and their properties once per generator step, after `pretrain_steps` steps on
    the training data alone before the first (so that the generator is not steered by an
    untrained reading at the start).

    `data`: (atoms (M, N), bonds (M, N, N), conditions (M, C)) of the training molecules,
    index tensors, for pretraining. `score`: generated graphs -> their (B, C) normalised
    properties (NaN rows for graphs that are no molecule), which the regressor also learns."""

    name = "condition"
    mixed = False

    def __init__(self, regressor: GraphCritic, weight: float, lr: float, data: tuple[Tensor, ...] = (),
                 pretrain_steps: int = 0, batch_size: int = 128,
                 score: Callable[[tuple[Tensor, ...]], Tensor] | None = None):
        self.net, self.weight, self.score = regressor, weight, score
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr)
        self.data, self.pretrain_steps, self.batch_size = data, pretrain_steps, batch_size
        self.pretrained = pretrain_steps == 0 or not data

    def _fit(self, graphs: tuple[Tensor, ...], target: Tensor) -> Tensor:
        loss = F.mse_loss(self.net(*graphs).view_as(target), target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def pretrain(self) -> float:
        """Fit the regressor to the training molecules; the last batch's MSE."""
        atoms, bonds, conditions = self.data
        device = next(self.net.parameters()).device
        order = torch.Generator().manual_seed(0)
        loss = torch.tensor(float("nan"))
        for _ in range(self.pretrain_steps):
            rows = torch.randint(len(atoms), (self.batch_size,), generator=order)
            graphs = (F.one_hot(bonds[rows].long(), self.net.bond_types).float().to(device),
                      F.one_hot(atoms[rows].long(), self.net.atom_types).float().to(device))
            loss = self._fit(graphs, conditions[rows].to(device))
        self.pretrained = True
        return float(loss)

    def critic_step(self, real: tuple[Tensor, ...], fake: tuple[Tensor, ...], step: int,
                    real_cond: Tensor | None = None, fake_cond: Tensor | None = None) -> dict[str, float]:
        if not self.pretrained:
            log.info("property regressor: learning the training molecules' properties (%d steps)",
                     self.pretrain_steps)
            log.info("property regressor: MSE %.3f of the normalised values", self.pretrain())
        stats = {}
        graphs, target = real, real_cond
        if self.score is not None and fake:
            fake = tuple(t.detach() for t in fake)
            properties = self.score(fake).to(real_cond)
            molecules = torch.isfinite(properties).all(1)
            with torch.no_grad():
                stats["cond/regressor_fake_mse"] = F.mse_loss(self.net(*fake)[molecules].view(-1, target.shape[1]),
                                                              properties[molecules])
            graphs = tuple(torch.cat([r, f[molecules]]) for r, f in zip(real, fake))
            target = torch.cat([real_cond, properties[molecules]])
        return {**stats, "cond/regressor_mse": self._fit(graphs, target)}

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor:
        return self.weight * F.mse_loss(self.net(*fake).view_as(cond), cond)

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(), "pretrained": self.pretrained}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.pretrained = state.get("pretrained", True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight}, properties={self.net.outputs})"
