"""Property conditioning: the training molecules' QED, logP, SA and weight as the condition
the generator and the critic are given (`--set condition=qed`, `molgan sample --condition`).

Conditions are normalised by the training data's mean and standard deviation, so that every
property enters the networks on the same scale. The generator sees the condition beside its
latent vector; the critic beside its graph readout (it judges molecule and property together);
a property regressor trained on the real molecules (molgan/mol/losses/condition.py) tells the
generator how far its graphs are from the asked-for values.

A run records a `PropertyScale` in its checkpoint: the names, the scale, the data's range (a
target outside it is refused) and a thousand rows of training values, from which sampling
draws the properties a user does not fix.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor

from molgan.errors import InputError

#: The condition of a reward-conditioned run: each molecule's value of the run's rl.reward
#: (molgan/mol/rewards/functions.py); sampling asks for values above its rl.aim quantile.
REWARD_CONDITION = "reward"
#: Rows of training values a checkpoint keeps for sampling the properties not asked for.
REFERENCE_ROWS = 1000


def check_property_names(names: Sequence[str], where: str) -> None:
    """InputError unless `names` are distinct properties a model can be conditioned on."""
    from molgan.mol.chem.properties import PROPERTIES

    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise InputError(f"{where}: unknown property {unknown[0]!r} (known: {', '.join(PROPERTIES)})")
    if len(set(names)) != len(names):
        raise InputError(f"{where}: a property is named twice in {', '.join(names)}")


def parse_condition(text: str) -> dict[str, float]:
    """``"qed=0.5,logp=1.0"`` -> {"qed": 0.5, "logp": 1.0}; ``"reward=0.6"`` for a
    reward-conditioned run."""
    targets: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name:
            raise InputError(f"--condition {text!r}: expected name=value[,name=value...], e.g. qed=0.5")
        if name != REWARD_CONDITION:
            check_property_names([name], "--condition")
        if name in targets:
            raise InputError(f"--condition {text!r}: {name} is given twice")
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"--condition {text!r}: {name}'s value {value!r} is not a number") from None
        if not math.isfinite(number):
            raise InputError(f"--condition {text!r}: {name}'s value must be finite")
        targets[name] = number
    return targets


@dataclass(frozen=True)
class PropertyScale:
    """The conditioned properties of a run, their normalisation and the data's range."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    low: tuple[float, ...]  # the training data's smallest value of each property
    high: tuple[float, ...]  # and its largest
    reference: tuple[tuple[float, ...], ...]  # REFERENCE_ROWS rows of training values

    @classmethod
    def fit(cls, names: Sequence[str], values: Tensor) -> PropertyScale:
        """The scale of (M, K) training values, one column per name."""
        values = values.double()
        order = torch.randperm(len(values), generator=torch.Generator().manual_seed(0))[:REFERENCE_ROWS]
        std = values.std(0).clamp_min(1e-6) if len(values) > 1 else torch.ones(values.shape[1])
        return cls(tuple(names), tuple(values.mean(0).tolist()), tuple(std.tolist()),
                   tuple(values.min(0).values.tolist()), tuple(values.max(0).values.tolist()),
                   tuple(tuple(round(v, 5) for v in row) for row in values[order].tolist()))

    def normalize(self, values: Tensor) -> Tensor:
        """(…, K) property values -> the networks' (…, K) condition."""
        mean = torch.tensor(self.mean, dtype=torch.float64)
        std = torch.tensor(self.std, dtype=torch.float64)
        return ((values.double() - mean) / std).float()

    def denormalize(self, conditions: Tensor) -> Tensor:
        """The inverse of `normalize`: (…, K) float64 property values."""
        return conditions.double() * torch.tensor(self.std, dtype=torch.float64) + torch.tensor(
            self.mean, dtype=torch.float64)

    def check(self, targets: dict[str, float]) -> None:
        """InputError for a property this run was not trained on or a value outside the data."""
        for name, value in targets.items():
            if name not in self.names:
                raise InputError(f"--condition {name}: this run is conditioned on {', '.join(self.names)} only")
            k = self.names.index(name)
            if not self.low[k] <= value <= self.high[k]:
                raise InputError(f"--condition {name}={value:g} is outside the training data's range "
                                 f"{self.low[k]:.4g} to {self.high[k]:.4g}")

    def conditions(self, targets: dict[str, float], count: int, seed: int | None = None) -> Tensor:
        """(count, K) normalised conditions: `targets` where given, the other properties drawn
        with the training data's joint distribution (rows of `reference`)."""
        self.check(targets)
        rows, _, _ = self._drawn_rows(count, seed)
        for name, value in targets.items():
            rows[:, self.names.index(name)] = value
        return self.normalize(rows)

    def upper_conditions(self, name: str, quantile: float, count: int, seed: int | None = None) -> Tensor:
        """(count, K) normalised conditions asking for values of `name` drawn from the training
        data's distribution above its `quantile` (a reward-conditioned run's rl.aim); the
        other properties drawn as in `conditions`."""
        rows, reference, generator = self._drawn_rows(count, seed)
        k = self.names.index(name)
        levels = quantile + (1 - quantile) * torch.rand(count, generator=generator, dtype=torch.float64)
        rows[:, k] = torch.quantile(reference[:, k], levels)
        return self.normalize(rows)

    def _drawn_rows(self, count: int, seed: int | None) -> tuple[Tensor, Tensor, torch.Generator | None]:
        """`count` rows of `reference` drawn at random, the reference, and the generator drawn with."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        reference = torch.tensor(self.reference, dtype=torch.float64)
        return reference[torch.randint(len(reference), (count,), generator=generator)], reference, generator

    def to_dict(self) -> dict:
        return {"names": list(self.names), "mean": list(self.mean), "std": list(self.std), "low": list(self.low),
                "high": list(self.high), "reference": [list(row) for row in self.reference]}

    @classmethod
    def from_dict(cls, data: dict) -> PropertyScale:
        return cls(tuple(data["names"]), tuple(data["mean"]), tuple(data["std"]), tuple(data["low"]),
                   tuple(data["high"]), tuple(tuple(row) for row in data["reference"]))


def _property_values(smiles: Sequence[str], name: str) -> list[float]:
    from molgan.mol.chem.properties import smiles_properties

    return [row[0] for row in smiles_properties(smiles, (name,))]


def training_properties(smiles: Sequence[str], names: Sequence[str], processed_dir: str | Path,
                        progress: bool = True) -> Tensor:
    """(M, K) float64 values of `names` for a dataset's SMILES, each property computed once
    (in parallel, with a progress bar) and cached beside the dataset as property_NAME.pt."""
    from molgan.mol.data.convert import cached_values

    columns = [cached_values(Path(processed_dir) / f"property_{name}.pt", smiles,
                             partial(_property_values, name=name), name, progress) for name in names]
    values = torch.stack(columns, 1)
    if not torch.isfinite(values).all():
        bad = int((~torch.isfinite(values).all(1)).nonzero()[0])
        raise InputError(f"training molecule {smiles[bad]!r}: its properties could not be computed")
    return values
