"""Marginal matching: the generator's atom- and bond-type frequencies held to the data's.

A fixed target, unlike the critic: the training set's frequencies of each atom type per atom
slot, of each bond type per atom pair and (optionally) of each bond type between each pair of
atom types, computed once from the whole training set. The generator's batch frequencies, on
the same straight-through graphs the critic reads, are held to them by a chi-square distance.
Without it the composition drifts as the critic changes (more N and O, fewer C, more
three-membered rings than QM9) and validation FCD worsens after its best step
(docs/experiments.md).
"""
from __future__ import annotations

import torch
from torch import Tensor

from molgan.core.task import GeneratorRegularizer


def graph_marginals(bonds: Tensor, atoms: Tensor, pairs: bool = False) -> Tensor:
    """Type frequencies of a batch of one-hot (or straight-through) graphs.

    bonds (B, N, N, E), atoms (B, N, T) -> a vector: atom types per atom slot (T,), then bond
    types per atom pair i < j (E,), then with `pairs` the frequency per atom pair of each
    bond type (no "no bond") between each unordered pair of atom types, as a symmetric
    (T, T, E - 1) table flattened. Each part sums to 1 over its entries (the table: to the
    fraction of pairs that are bonded). Invariant to the order of the atoms.
    """
    b, n, _, e = bonds.shape
    rows, cols = torch.triu_indices(n, n, 1, device=bonds.device)
    pair_bonds = bonds[:, rows, cols]  # (B, P, E)
    parts = [atoms.mean((0, 1)), pair_bonds.mean((0, 1))]
    if pairs:
        table = torch.einsum("bps,bpt,bpe->ste", atoms[:, rows], atoms[:, cols], pair_bonds[..., 1:])
        table = (table + table.transpose(0, 1)) / (2 * b * rows.numel())
        parts.append(table.flatten())
    return torch.cat(parts)


def dataset_marginals(bond_index: Tensor, atom_index: Tensor, bond_types: int, atom_types: int,
                      pairs: bool = False, chunk: int = 8192) -> Tensor:
    """`graph_marginals` of a whole dataset of index graphs (M, N, N), (M, N), in chunks
    (one-hot graphs of a large dataset do not fit in memory at once)."""
    total, count = None, 0
    for start in range(0, len(atom_index), chunk):
        bonds = torch.nn.functional.one_hot(bond_index[start:start + chunk].long(), bond_types).float()
        atoms = torch.nn.functional.one_hot(atom_index[start:start + chunk].long(), atom_types).float()
        part = graph_marginals(bonds, atoms, pairs) * len(atoms)
        total = part if total is None else total + part
        count += len(atoms)
    if total is None:
        raise ValueError("marginals of an empty dataset")
    return total / count


class MarginalMatching(GeneratorRegularizer):
    """weight · Σ (f − r)² / (r + ε) over the atom- and bond-type frequencies f of a generated
    batch and r of the training data, plus pair_weight · the same over the bond-type table
    by atom types (`graph_marginals`)."""

    name = "marginals"
    EPS = 1e-3  # keeps types the data never shows (r = 0) from dominating

    def __init__(self, bond_index: Tensor, atom_index: Tensor, bond_types: int, atom_types: int,
                 weight: float, pair_weight: float, device: torch.device,
                 soft_weight: float = 0.0, generator=None):
        self.weight, self.pair_weight = weight, pair_weight
        # The same distance on the probabilities the generator's output layer was given
        # (`generator.last_probs`): the layer's graphs can match the data's frequencies
        # while nearly every pair asks for a bond and valence alone decides which are made.
        self.soft_weight, self.generator = soft_weight, generator
        reference = dataset_marginals(torch.as_tensor(bond_index), torch.as_tensor(atom_index),
                                      bond_types, atom_types, pairs=pair_weight > 0)
        self.single = atom_types + bond_types  # length of the atom and bond parts
        self.reference = reference.to(device)

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor:
        bonds, atoms = fake
        found = graph_marginals(bonds, atoms, pairs=self.pair_weight > 0)
        distance = (found - self.reference) ** 2 / (self.reference + self.EPS)
        loss = self.weight * distance[:self.single].sum()
        if self.pair_weight > 0:
            loss = loss + self.pair_weight * distance[self.single:].sum()
        if self.soft_weight > 0 and self.generator.last_probs is not None:
            bond_probs, atom_probs = self.generator.last_probs
            soft = graph_marginals(bond_probs, atom_probs)
            reference = self.reference[:self.single]
            loss = loss + self.soft_weight * ((soft - reference) ** 2 / (reference + self.EPS)).sum()
        return loss

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight}, pair_weight={self.pair_weight})"
