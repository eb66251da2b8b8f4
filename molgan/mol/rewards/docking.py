"""MolGAN's reward network standing in for a docking oracle: learn Vina scores, choose what to dock.

A docking call costs seconds, so a generator cannot be scored by docking every sample. The
reward network, an ensemble of R-GCNs (the critic's architecture with a linear output), learns
the Vina score of every molecule docked so far and scores the generator's samples in
milliseconds. Each round it chooses which samples to dock next: those whose optimistic
prediction (mean - beta * spread of the members, in kcal/mol, lower is better) is best, among
valid molecules not docked before, until the docking budget is spent. Docked molecules keep
their true score; the rest are scored by the ensemble's mean.

Shapes: graphs are index tensors as the generator samples them, bonds (B, N, N) and atoms
(B, N); the members read them one-hot.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

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


class DockingRewardNetwork(nn.Module):
    """An ensemble of `members` R-GCNs, each predicting the standardised docking score.

    Shapes: bonds (B, N, N), atoms (B, N) indices -> mean and spread (B,), in kcal/mol.
    """

    def __init__(self, atom_types: int, bond_types: int, members: int = 4, conv_dims: Sequence[int] = (128, 64),
                 readout_dim: int = 128, head_dims: Sequence[int] = (128, 64)):
        super().__init__()
        self.atom_types, self.bond_types = atom_types, bond_types
        self.members = nn.ModuleList(GraphCritic(atom_types, bond_types, conv_dims, readout_dim, head_dims)
                                     for _ in range(members))
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
        """(members, B) standardised predictions."""
        inputs = self.one_hot(bonds, atoms)
        return torch.stack([member(*inputs) for member in self.members])

    def forward(self, bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        outputs = self.member_outputs(bonds, atoms) * self.scale + self.shift
        return outputs.mean(0), outputs.std(0) if len(self.members) > 1 else torch.zeros_like(outputs[0])

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
        (`weight`: the exact terms, QED and the like, which docking cannot change)."""
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
                continue
            self.docked.add(s, result, b, a)
            self._known[s] = float(result)
            scored.append(float(result))
        stats = {"dock/calls": float(self.calls), "dock/scored": float(len(self.docked))}
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
        """Train each member on its own bootstrap sample of the docked molecules."""
        net, data = self.network, self.docked
        scores = torch.tensor(data.scores)
        net.shift.fill_(float(scores.mean()))
        net.scale.fill_(float(scores.std().clamp(min=0.5)))
        target = (scores - net.shift.cpu()) / net.scale.cpu()
        bonds, atoms = torch.stack(data.bonds).long(), torch.stack(data.atoms).long()
        device = net.shift.device
        n = len(data)
        samples = torch.randint(n, (len(net.members), n), generator=self._generator)  # bootstrap rows
        net.train()
        loss = torch.tensor(0.0)
        for _ in range(steps if steps is not None else self.fit_steps):
            picks = samples.gather(1, torch.randint(n, (len(net.members), min(self.batch_size, n)),
                                                    generator=self._generator))
            loss = 0.0
            for member, rows in zip(net.members, picks):
                inputs = net.one_hot(bonds[rows].to(device), atoms[rows].to(device))
                loss = loss + F.mse_loss(member(*inputs), target[rows].to(device))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        net.eval()
        return {"dock/net_loss": float(loss.detach()) / len(net.members)}

    @torch.no_grad()
    def predict(self, bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        """(mean, spread) in kcal/mol; before any molecule is docked, no information (the
        prior mean, zero spread)."""
        if len(self.docked) < 2:
            zeros = torch.zeros(bonds.shape[0], device=bonds.device)
            return zeros + self.network.shift, zeros
        self.network.eval()
        return self.network(bonds, atoms)

    def scores(self, smiles: Sequence[str | None], bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        """Each sample's docking score (its true one when docked, else the prediction) and
        whether it was docked, (B,) each."""
        mean, _ = self.predict(bonds, atoms)
        mean = mean.cpu()
        docked = torch.tensor([self.known_score(s) is not None for s in smiles])
        true = torch.tensor([self.known_score(s) or 0.0 for s in smiles])
        return torch.where(docked, true, mean), docked

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        return {"network": self.network.state_dict(), "optimizer": self.optimizer.state_dict(),
                "docked": self.docked.state_dict(), "failed": dict(self.failed), "calls": self.calls,
                "generator": self._generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.network.load_state_dict(state["network"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.docked = DockedMolecules.from_state(state["docked"])
        self.failed = dict(state["failed"])
        self.calls = int(state["calls"])
        self._known = dict(zip(self.docked.smiles, self.docked.scores))
        self._generator.set_state(state["generator"])


class DockingTerm:
    """The docking factor of the policy steps' rewards, and when to dock.

    Each sample's reward is multiplied by `dock_value` of its score (the true one once docked,
    else the reward network's prediction) and by 1 - `alert_penalty` when it carries a PAINS
    or Brenk alert. Every `every` policy steps, while the budget lasts, a round of the batch's
    samples is docked (chosen by `DockingReward.select`, weighted by the RDKit reward).
    """

    def __init__(self, reward: DockingReward, every: int, alert_penalty: float):
        self.reward, self.every, self.alert_penalty = reward, every, alert_penalty
        self.calls = 0
        self._alerts: dict[str, bool] = {}

    def alert_factor(self, smiles: Sequence[str | None]) -> Tensor:
        from rdkit import Chem

        from molgan.mol.chem.medchem import first_alert, screen

        for s in {s for s in smiles if s is not None and s not in self._alerts}:
            mol = Chem.MolFromSmiles(s)
            have = screen(mol)
            self._alerts[s] = bool(first_alert(mol, "pains", have) or first_alert(mol, "brenk", have))
        return torch.tensor([1.0 - self.alert_penalty if s is not None and self._alerts[s] else 1.0 for s in smiles])

    def value(self, smiles: Sequence[str | None], bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        """(factor (B,), docking score (B,)) without docking anything (evaluations)."""
        scores, _ = self.reward.scores(smiles, bonds, atoms)
        return dock_value(scores) * self.alert_factor(smiles), scores

    def progress(self) -> dict[str, float]:
        """What the docking has found so far, for evaluations: calls, molecules scored, the best
        score and the mean of the best 10."""
        found = sorted(self.reward.docked.scores)
        stats = {"dock/calls": float(self.reward.calls), "dock/scored": float(len(found))}
        if found:
            stats["dock/best"] = found[0]
            stats["dock/top10"] = sum(found[:10]) / len(found[:10])
        return stats

    def __call__(self, smiles: Sequence[str | None], bonds: Tensor, atoms: Tensor,
                 exact: Callable[[Sequence[str | None]], object]) -> tuple[Tensor, dict[str, float]]:
        """The factor (B,) for a policy step's samples, after docking a round when one is due."""
        stats: dict[str, float] = {}
        if self.calls % self.every == 0 and self.reward.left:
            weight = torch.as_tensor(exact(smiles), dtype=torch.float32) * self.alert_factor(smiles)
            mean, spread = self.reward.predict(bonds, atoms)
            chosen = self.reward.select(smiles, mean.cpu(), spread.cpu(), weight)
            if chosen:  # logged as it happens; the step's statistics are averaged over steps
                self.reward.dock([smiles[i] for i in chosen], bonds[chosen], atoms[chosen])
        self.calls += 1
        factor, scores = self.value(smiles, bonds, atoms)
        valid = torch.tensor([s is not None for s in smiles])
        if valid.any():
            stats["policy/dock_score"] = float(scores[valid].mean())
        return factor, stats

    def state_dict(self) -> dict:
        return {"reward": self.reward.state_dict(), "calls": self.calls}

    def load_state_dict(self, state: dict) -> None:
        self.reward.load_state_dict(state["reward"])
        self.calls = int(state["calls"])


def build_docking_term(target: str, config, atom_types: int, bond_types: int, device: torch.device,
                       cache, seed: int = 0) -> DockingTerm:
    """The docking term of a run: Vina through molgan.mol.docking (at `config`, a
    MolDockConfig: its exhaustiveness, workers and reward-network settings), scores cached in
    `cache` (shared with `molgan dock`)."""
    import dataclasses

    from molgan.mol.docking.config import DockConfig
    from molgan.mol.docking.run import check_installed, dock_smiles, local_executor
    from molgan.mol.docking.targets import find_target

    check_installed()
    found = find_target(target)
    calls = DockConfig(**{f.name: getattr(config, f.name) for f in dataclasses.fields(DockConfig)})
    # One pool for the whole run: its docking processes compute the grid maps once, not per round.
    pool = local_executor(calls) if calls.scheduler is None else None

    def oracle(smiles: Sequence[str]) -> list:
        results = dock_smiles(smiles, found, calls, cache=cache, executor=pool)
        return [r.score for r in results]

    network = DockingRewardNetwork(atom_types, bond_types, config.members).to(device)
    reward = DockingReward(oracle, network, config.budget, config.per_round, config.optimism, config.fit_steps,
                           lr=config.lr, seed=seed)
    return DockingTerm(reward, config.every, config.alert_penalty)
