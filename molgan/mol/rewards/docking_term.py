"""The docking factor of a run's policy rewards: when to dock, and what each sample earns.

The reward network and its budget live in molgan/mol/rewards/docking.py; this is the term the
policy steps call (molgan/mol/rewards/policy.py), and `build_docking_term`, which makes a
run's term with its oracle.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

from molgan.mol.rewards.docking import DockingReward, DockingRewardNetwork, dock_value


class DockingTerm:
    """The docking factor of the policy steps' rewards, and when to dock.

    Each sample's reward is multiplied by `dock_value` of its score (the true one once docked,
    else the reward network's prediction), by the chance that it docks at all (0 once the
    oracle failed on it) and by 1 - `alert_penalty` when it carries a PAINS or Brenk alert.
    Every `every` policy steps, while the budget lasts, a round of samples is docked, chosen by
    `DockingReward.select` (weighted by the RDKit reward and the chance to dock) among the
    step's samples and more of the generator's, `candidates` in all: the reward network
    screens them, the oracle docks the most promising.

    Experience replay (`replay` > 0): each policy step's samples are joined by `replay`
    molecules drawn from the 4 · `replay` docked ones that earn the most (their true score's
    docking term times the exact terms), so that the generator keeps learning from the best
    molecules the oracle has confirmed, not only from the reward network's guesses about its
    new samples (REINVENT's replay of its best molecules).
    """

    def __init__(self, reward: DockingReward, every: int, alert_penalty: float, replay: int = 0,
                 candidates: int = 0, seed: int = 0):
        self.reward, self.every, self.alert_penalty, self.replay = reward, every, alert_penalty, replay
        self.candidates = candidates
        self.calls = 0
        self._alerts: dict[str, bool] = {}
        self._generator = torch.Generator().manual_seed(seed)

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
        scores, _, dockable = self.reward.scores(smiles, bonds, atoms)
        return dock_value(scores) * dockable * self.alert_factor(smiles), scores

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
                 exact: Callable[[Sequence[str | None]], object],
                 more: Callable[[int], tuple[list[str | None], Tensor, Tensor]] | None = None
                 ) -> tuple[Tensor, dict[str, float]]:
        """The factor (B,) for a policy step's samples, after docking a round when one is due
        (`more(k)`: k further samples of the generator, SMILES and graphs, to choose from)."""
        stats: dict[str, float] = {}
        if self.calls % self.every == 0 and self.reward.left:
            pool, pool_bonds, pool_atoms = list(smiles), bonds, atoms
            if more is not None and self.candidates > len(pool):
                extra, extra_bonds, extra_atoms = more(self.candidates - len(pool))
                pool += extra
                pool_bonds, pool_atoms = torch.cat([bonds, extra_bonds]), torch.cat([atoms, extra_atoms])
            prediction = self.reward.predict(pool_bonds, pool_atoms)
            weight = (torch.as_tensor(exact(pool), dtype=torch.float32) * self.alert_factor(pool)
                      * (1.0 - prediction.failure.cpu()))
            chosen = self.reward.select(pool, prediction.mean.cpu(), prediction.spread.cpu(), weight)
            if chosen:  # logged as it happens; the step's statistics are averaged over steps
                self.reward.dock([pool[i] for i in chosen], pool_bonds[chosen], pool_atoms[chosen])
        self.calls += 1
        factor, scores = self.value(smiles, bonds, atoms)
        valid = torch.tensor([s is not None for s in smiles])
        if valid.any():
            stats["policy/dock_score"] = float(scores[valid].mean())
        return factor, stats

    def replay_batch(self, exact: Callable[[Sequence[str | None]], object] | None
                     ) -> tuple[list[str], Tensor, Tensor] | None:
        """`replay` docked molecules drawn from the 4 · `replay` that earn the most: (SMILES,
        bonds (R, N, N), atoms (R, N)); None while fewer than `replay` are docked."""
        docked = self.reward.docked
        if not self.replay or len(docked) < self.replay:
            return None
        earned = dock_value(torch.tensor(docked.scores)) * self.alert_factor(docked.smiles)
        if exact is not None:
            earned = earned * torch.as_tensor(exact(docked.smiles), dtype=torch.float32)
        best = torch.argsort(earned, descending=True, stable=True)[:4 * self.replay]
        picks = best[torch.randperm(len(best), generator=self._generator)[:self.replay]].tolist()
        return ([docked.smiles[i] for i in picks], torch.stack([docked.bonds[i] for i in picks]).long(),
                torch.stack([docked.atoms[i] for i in picks]).long())

    def state_dict(self) -> dict:
        return {"reward": self.reward.state_dict(), "calls": self.calls, "replay": self._generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.reward.load_state_dict(state["reward"])
        self.calls = int(state["calls"])
        self._generator.set_state(state["replay"])


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
    return DockingTerm(reward, config.every, config.alert_penalty, config.replay, config.candidates, seed=seed)
