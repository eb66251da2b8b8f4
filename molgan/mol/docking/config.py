"""Docking settings (`--set dock.KEY=VALUE`) and the part of them a cached score depends on."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import metadata

#: Bump when the route from SMILES to score changes (protonation, embedding, preparation),
#: so that scores cached by an earlier route are not reused.
ROUTE_VERSION = 2  # 2: embedding attempts capped (ligand.EMBED_ATTEMPTS)


@functools.cache
def _vina_version() -> str:
    """Read once: every docking job's cache key holds it (a metadata lookup scans site-packages)."""
    try:
        return metadata.version("vina")
    except metadata.PackageNotFoundError:
        return "none"


@dataclass
class DockConfig:
    """How molecules are docked. Exhaustiveness 8 is what scores are reported at; training
    docks at 1 (about 10x faster, noisier by ~0.5 kcal/mol per molecule)."""

    exhaustiveness: int = 8  # Vina's Monte Carlo runs per molecule
    seed: int = 0  # the 3D embedding's and Vina's search
    protonate: bool = True  # dock the dominant protonation state at `ph` (dimorphite_dl); False: as written
    ph: float = 7.4
    timeout: float = 300.0  # seconds per molecule (preparation and search) before it is recorded as failed
    workers: int | None = None  # docking processes on this machine; None: one per core
    scheduler: str | None = None  # a Dask scheduler (tcp://HOST:8786) to dock on its workers instead

    def __post_init__(self):
        if self.exhaustiveness < 1:
            raise ValueError(f"dock.exhaustiveness must be at least 1, got {self.exhaustiveness}")
        if not 0.0 <= self.ph <= 14.0:
            raise ValueError(f"dock.ph must be between 0 and 14, got {self.ph}")
        if not self.timeout > 0:
            raise ValueError(f"dock.timeout must be positive, got {self.timeout}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"dock.workers must be at least 1, got {self.workers}")
        if self.scheduler is not None and "://" not in self.scheduler:
            raise ValueError(f"dock.scheduler must be an address such as tcp://HOST:8786, got {self.scheduler!r}")

    def settings_key(self) -> str:
        """What a score depends on besides the target and the molecule (not the time limit,
        the workers or where they run)."""
        return json.dumps({"route": ROUTE_VERSION, "vina": _vina_version(), "exhaustiveness": self.exhaustiveness,
                           "seed": self.seed, "ph": self.ph if self.protonate else None}, sort_keys=True)


@dataclass
class DockSettings:
    """`molgan dock`'s config file and `--set` keys (`dock.exhaustiveness=1` or `exhaustiveness=1`)."""

    dock: DockConfig = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.dock is None:
            self.dock = DockConfig()


@dataclass
class MolDockConfig(DockConfig):
    """A training run's docking (`--set dock.KEY=VALUE`): how molecules are docked, and how
    MolGAN's reward network stands in for it (molgan/mol/rewards/docking.py)."""

    exhaustiveness: int = 1  # training docks cheaply; molgan dock reports at 8
    budget: int = 2000  # molecules the run may dock in all
    per_round: int = 32  # molecules docked per round, the most promising of the candidates
    every: int = 10  # policy steps between rounds
    optimism: float = 1.0  # the acquisition's mean - optimism * spread (kcal/mol)
    members: int = 4  # the reward network's ensemble
    fit_steps: int = 100  # its training after each round
    lr: float = 1e-3
    alert_penalty: float = 0.5  # a PAINS or Brenk alert costs this share of a sample's reward
    replay: int = 0  # docked molecules among the best joining each policy step's samples (0: none)
    candidates: int = 256  # samples a round chooses from: the step's and more of the generator's

    def __post_init__(self):
        super().__post_init__()
        for name in ("budget", "per_round", "every", "members", "fit_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"dock.{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.alert_penalty <= 1.0 or self.optimism < 0 or not self.lr > 0:
            raise ValueError("dock.alert_penalty must be in [0, 1], dock.optimism at least 0, dock.lr above 0")
        if self.replay < 0 or self.candidates < 0:
            raise ValueError(f"dock.replay and dock.candidates must be 0 or more, got {self.replay} and "
                             f"{self.candidates}")
