"""Marginal matching: the generator's atom- and bond-type frequencies held to the data's.

A fixed target, unlike the critic: the training set's frequencies of each atom type per atom
slot and of each bond type per atom pair, computed once from the whole training set. The
generator's batch frequencies, on the same straight-through graphs the critic reads, are
held to them by a chi-square distance.
Without it the composition drifts as the critic changes (more N and O, fewer C, more
three-membered rings than QM9) and validation FCD worsens after its best step
(docs/experiments.md).
"""
from __future__ import annotations

import torch
from torch import Tensor

from molgan.core.task import GeneratorRegularizer


def graph_marginals(bonds: Tensor, atoms: Tensor) -> Tensor:
    """Type frequencies of a batch of one-hot (or straight-through) graphs.

    bonds (B, N, N, E), atoms (B, N, T) -> a vector: atom types per atom slot (T,), then bond
    types per atom pair i < j (E,); each part sums to 1. Invariant to the order of the atoms.
    """
    n = bonds.shape[1]
    rows, cols = torch.triu_indices(n, n, 1, device=bonds.device)
    return torch.cat([atoms.mean((0, 1)), bonds[:, rows, cols].mean((0, 1))])


def dataset_marginals(bond_index: Tensor, atom_index: Tensor, bond_types: int, atom_types: int,
                      chunk: int = 8192) -> Tensor:
    """`graph_marginals` of a whole dataset of index graphs (M, N, N), (M, N), in chunks
    (one-hot graphs of a large dataset do not fit in memory at once)."""
    total, count = None, 0
    for start in range(0, len(atom_index), chunk):
        bonds = torch.nn.functional.one_hot(bond_index[start:start + chunk].long(), bond_types).float()
        atoms = torch.nn.functional.one_hot(atom_index[start:start + chunk].long(), atom_types).float()
        part = graph_marginals(bonds, atoms) * len(atoms)
        total = part if total is None else total + part
        count += len(atoms)
    if total is None:
        raise ValueError("marginals of an empty dataset")
    return total / count


class MarginalMatching(GeneratorRegularizer):
    """weight · Σ (f − r)² / (r + ε) over the atom- and bond-type frequencies f of a generated
    batch and r of the training data (`graph_marginals`)."""

    name = "marginals"
    EPS = 1e-3  # keeps types the data never shows (r = 0) from dominating

    def __init__(self, bond_index: Tensor, atom_index: Tensor, bond_types: int, atom_types: int,
                 weight: float, device: torch.device):
        self.weight = weight
        self.reference = dataset_marginals(torch.as_tensor(bond_index), torch.as_tensor(atom_index),
                                           bond_types, atom_types).to(device)

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor:
        found = graph_marginals(*fake)
        return self.weight * ((found - self.reference) ** 2 / (self.reference + self.EPS)).sum()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"
