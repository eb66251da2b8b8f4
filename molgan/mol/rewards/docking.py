"""MolGAN's reward network standing in for a docking oracle: learn Vina scores, choose what to dock.

A docking call costs seconds, so a generator cannot be scored by docking every sample. The
reward network, an ensemble of R-GCNs (the critic's architecture with a linear output), learns
the Vina score of every molecule docked so far and scores the generator's samples in
milliseconds. Each round it chooses which samples to dock next: those whose optimistic
prediction (mean - beta * spread of the members, in kcal/mol, lower is better) is best, among
valid molecules not docked before, until the docking budget is spent. Docked molecules keep
their true score; the rest are scored by the ensemble's mean.

The oracle also fails: a strained ring system that RDKit cannot embed in 3D gives no score
(in a first docking round from the MOSES prior, one molecule in ten, each costing about twice
a docked one). The members therefore predict a second output, whether the oracle fails
(trained on every molecule sent, failed ones included), and the generator is paid for the
chance that a molecule can be docked at all: a molecule known to fail earns nothing, one not
yet sent earns its predicted value times the chance it docks, and the acquisition weighs its
choices the same way.

Shapes: graphs are index tensors as the generator samples them, bonds (B, N, N) and atoms
(B, N); the members read them one-hot.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.mol.nn.models import GraphCritic

log = logging.getLogger(__name__)

#: Vina scores -> a positive reward: a softplus ramp, about linear below -8 kcal/mol (1/6 per
#: kcal/mol, -13 is 1.0: better than most drugs on most targets) and above 0 everywhere, so that
#: a poor binder is still told which way is better (-7: 0.17, -3: 0.02). Not capped.
DOCK_CENTER, DOCK_WIDTH, DOCK_SPAN = -7.0, 1.5, 6.0


def dock_value(scores: Tensor) -> Tensor:
    """Docking scores (kcal/mol) as a positive reward, larger for better binding."""
    return F.softplus((DOCK_CENTER - scores) / DOCK_WIDTH) * DOCK_WIDTH / DOCK_SPAN


#: smiles -> Vina score or None (failed): the oracle, e.g. molgan.mol.docking.run.dock_smiles.
Oracle = Callable[[Sequence[str]], list]


@dataclass
class DockedMolecules:
    """Every molecule docked in this run: SMILES, score (kcal/mol) and graph (int8)."""

    smiles: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    bonds: list[Tensor] = field(default_factory=list)
    atoms: list[Tensor] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.smiles)

    def add(self, smiles: str, score: float, bonds: Tensor, atoms: Tensor) -> None:
        self.smiles.append(smiles)
        self.scores.append(float(score))
        self.bonds.append(bonds.to(torch.int8).cpu())
        self.atoms.append(atoms.to(torch.int8).cpu())

    def state_dict(self) -> dict:
        empty = len(self) == 0
        return {"smiles": list(self.smiles), "scores": torch.tensor(self.scores, dtype=torch.float64),
                "bonds": None if empty else torch.stack(self.bonds),
                "atoms": None if empty else torch.stack(self.atoms)}

    @classmethod
    def from_state(cls, state: dict) -> "DockedMolecules":
        if not state["smiles"]:
            return cls()
        return cls(list(state["smiles"]), state["scores"].tolist(), list(state["bonds"]), list(state["atoms"]))


class Prediction(NamedTuple):
    """The reward network's reading of a batch, (B,) each: the members' mean and spread of the
    docking score (kcal/mol) and their mean probability that the oracle fails."""

    mean: Tensor
    spread: Tensor
    failure: Tensor


class DockingRewardNetwork(nn.Module):
    """An ensemble of `members` R-GCNs, each predicting the standardised docking score and the
    logit of the oracle failing.

    Shapes: bonds (B, N, N), atoms (B, N) indices -> Prediction, (B,) each.
    """

    def __init__(self, atom_types: int, bond_types: int, members: int = 4, conv_dims: Sequence[int] = (128, 64),
                 readout_dim: int = 128, head_dims: Sequence[int] = (128, 64)):
        super().__init__()
        self.atom_types, self.bond_types = atom_types, bond_types
        self.members = nn.ModuleList(GraphCritic(atom_types, bond_types, conv_dims, readout_dim, head_dims,
                                                 outputs=2) for _ in range(members))
        # Scores are learned standardised; these map back to kcal/mol (set from the docked data).
        self.register_buffer("shift", torch.tensor(-8.0))
        self.register_buffer("scale", torch.tensor(1.0))

    def reset_parameters(self) -> None:
        for member in self.members:
            for module in member.modules():
                if module is not member and hasattr(module, "reset_parameters"):
                    module.reset_parameters()

    def one_hot(self, bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        return F.one_hot(bonds.long(), self.bond_types).float(), F.one_hot(atoms.long(), self.atom_types).float()

    def member_outputs(self, bonds: Tensor, atoms: Tensor) -> Tensor:
        """(members, B, 2): each member's standardised score and failure logit."""
        inputs = self.one_hot(bonds, atoms)
        return torch.stack([member(*inputs) for member in self.members])

    def forward(self, bonds: Tensor, atoms: Tensor) -> Prediction:
        outputs = self.member_outputs(bonds, atoms)
        scores = outputs[..., 0] * self.scale + self.shift
        spread = scores.std(0) if len(self.members) > 1 else torch.zeros_like(scores[0])
        return Prediction(scores.mean(0), spread, torch.sigmoid(outputs[..., 1]).mean(0))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(members={len(self.members)}, atom_types={self.atom_types}, "
                f"bond_types={self.bond_types})")


class DockingReward:
    """The reward network, its training data (every docked molecule) and the docking budget.

    Args:
        oracle: docks SMILES, returns a score (kcal/mol) or None per molecule.
        network: the ensemble that learns the scores.
        budget: molecules the run may send to the oracle in all.
        per_round: molecules sent each round.
        optimism: beta of the acquisition, mean - beta * spread.
        fit_steps, batch_size, lr: the ensemble's training after each round.
        seed: the members' bootstrap samples.
    """

    def __init__(self, oracle: Oracle, network: DockingRewardNetwork, budget: int, per_round: int,
                 optimism: float = 1.0, fit_steps: int = 100, batch_size: int = 64, lr: float = 1e-3,
                 seed: int = 0):
        self.oracle, self.network = oracle, network
        self.budget, self.per_round, self.optimism = budget, per_round, optimism
        self.fit_steps, self.batch_size = fit_steps, batch_size
        self.optimizer = torch.optim.Adam(network.parameters(), lr)
        self.docked = DockedMolecules()
        self.failed: dict[str, str] = {}  # SMILES -> why the oracle gave no score (not retried)
        self.unscored = DockedMolecules()  # the failed molecules' graphs (score NaN): the failure output learns them
        self.calls = 0  # molecules sent to the oracle
        self._known: dict[str, float] = {}
        self._generator = torch.Generator().manual_seed(seed)

    @property
    def left(self) -> int:
        return max(0, self.budget - self.calls)

    def known_score(self, smiles: str | None) -> float | None:
        return self._known.get(smiles) if smiles is not None else None

    # ------------------------------------------------------------------ acquisition
    def select(self, smiles: Sequence[str | None], mean: Tensor, spread: Tensor, weight: Tensor) -> list[int]:
        """Indices of up to `per_round` samples to dock: valid, distinct, never sent before,
        with the best optimistic reward `weight * dock_value(mean - optimism * spread)`
        (`weight`: the exact terms, QED and the like, which docking cannot change, and the
        chance that the molecule docks at all)."""
        count = min(self.per_round, self.left)
        if count == 0:
            return []
        value = weight * dock_value(mean - self.optimism * spread)
        chosen, seen = [], set()
        for index in torch.argsort(value, descending=True).tolist():
            s = smiles[index]
            if s is None or s in seen or s in self._known or s in self.failed:
                continue
            seen.add(s)
            chosen.append(index)
            if len(chosen) == count:
                break
        return chosen

    def dock(self, smiles: Sequence[str], bonds: Tensor, atoms: Tensor) -> dict[str, float]:
        """Send molecules to the oracle, keep every score, refit the ensemble; statistics to log."""
        results = self.oracle(list(smiles))
        self.calls += len(smiles)
        scored: list[float] = []
        for s, result, b, a in zip(smiles, results, bonds, atoms):
            if result is None or not math.isfinite(result):
                self.failed[s] = "no score"
                self.unscored.add(s, math.nan, b, a)
                continue
            self.docked.add(s, result, b, a)
            self._known[s] = float(result)
            scored.append(float(result))
        stats = {"dock/calls": float(self.calls), "dock/scored": float(len(self.docked)),
                 "dock/failed": float(len(self.failed))}
        if scored:
            stats["dock/round_mean"] = sum(scored) / len(scored)
            stats["dock/round_best"] = min(scored)
        if len(self.docked) >= 2:
            stats.update(self.fit())
        log.info("docked %d molecules (%d of the budget of %d used): %d scored, mean %.2f, best %.2f kcal/mol%s",
                 len(smiles), self.calls, self.budget, len(scored), stats.get("dock/round_mean", math.nan),
                 stats.get("dock/round_best", math.nan),
                 f"; reward network loss {stats['dock/net_loss']:.3f}" if "dock/net_loss" in stats else "")
        return stats

    # ------------------------------------------------------------------ the reward network
    def fit(self, steps: int | None = None) -> dict[str, float]:
        """Train each member on its own bootstrap sample of the molecules sent: the standardised
        score of those docked (squared error) and whether the oracle failed, for all of them."""
        net = self.network
        scores = torch.tensor(self.docked.scores + self.unscored.scores)  # NaN: the oracle failed
        scored = ~scores.isnan()
        net.shift.fill_(float(scores[scored].mean()))
        net.scale.fill_(float(scores[scored].std().clamp(min=0.5)))
        target = ((scores - net.shift.cpu()) / net.scale.cpu()).nan_to_num(0.0)
        bonds = torch.stack(self.docked.bonds + self.unscored.bonds).long()
        atoms = torch.stack(self.docked.atoms + self.unscored.atoms).long()
        device = net.shift.device
        n = len(scores)
        samples = torch.randint(n, (len(net.members), n), generator=self._generator)  # bootstrap rows
        net.train()
        score_loss = failure_loss = torch.tensor(0.0)
        for _ in range(steps if steps is not None else self.fit_steps):
            picks = samples.gather(1, torch.randint(n, (len(net.members), min(self.batch_size, n)),
                                                    generator=self._generator))
            score_loss = failure_loss = 0.0
            for member, rows in zip(net.members, picks):
                outputs = member(*net.one_hot(bonds[rows].to(device), atoms[rows].to(device)))
                weight = scored[rows].to(device).float()
                error = (outputs[:, 0] - target[rows].to(device)).square()
                score_loss = score_loss + (error * weight).sum() / weight.sum().clamp(min=1.0)
                failure_loss = failure_loss + F.binary_cross_entropy_with_logits(outputs[:, 1], 1.0 - weight)
            self.optimizer.zero_grad(set_to_none=True)
            (score_loss + failure_loss).backward()
            self.optimizer.step()
        net.eval()
        members = len(net.members)
        return {"dock/net_loss": float(score_loss.detach()) / members,
                "dock/failure_loss": float(failure_loss.detach()) / members}

    @torch.no_grad()
    def predict(self, bonds: Tensor, atoms: Tensor) -> Prediction:
        """The network's Prediction; before two molecules are docked, no information (the
        prior mean, zero spread, no failures)."""
        if len(self.docked) < 2:
            zeros = torch.zeros(bonds.shape[0], device=bonds.device)
            return Prediction(zeros + self.network.shift, zeros, zeros)
        self.network.eval()
        return self.network(bonds, atoms)

    def scores(self, smiles: Sequence[str | None], bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Each sample's docking score (its true one when docked, else the prediction), whether
        it was docked, and the chance that it docks at all (1 when docked, 0 when the oracle
        failed on it, else the prediction), (B,) each."""
        prediction = self.predict(bonds, atoms)
        docked = torch.tensor([self.known_score(s) is not None for s in smiles])
        failed = torch.tensor([s is not None and s in self.failed for s in smiles])
        true = torch.tensor([self.known_score(s) or 0.0 for s in smiles])
        dockable = torch.where(docked, 1.0, torch.where(failed, 0.0, 1.0 - prediction.failure.cpu()))
        return torch.where(docked, true, prediction.mean.cpu()), docked, dockable

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        return {"network": self.network.state_dict(), "optimizer": self.optimizer.state_dict(),
                "docked": self.docked.state_dict(), "failed": dict(self.failed),
                "unscored": self.unscored.state_dict(), "calls": self.calls,
                "generator": self._generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.network.load_state_dict(state["network"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.docked = DockedMolecules.from_state(state["docked"])
        self.failed = dict(state["failed"])
        self.unscored = DockedMolecules.from_state(state["unscored"])
        self.calls = int(state["calls"])
        self._known = dict(zip(self.docked.smiles, self.docked.scores))
        self._generator.set_state(state["generator"])
