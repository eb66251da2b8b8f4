"""Differentiable chemistry penalties on the generator's graphs (no RDKit in the loop)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from molgan.core.task import GeneratorRegularizer


class ValencePenalty(GeneratorRegularizer):
    """Differentiable valence constraint: each atom's summed bond order above its maximum
    valence is penalised, squared. Cheap (no RDKit), and aimed at the failure seen in plain
    MolGAN training: generators drifting to over-bonded graphs that RDKit rejects.
    """

    name = "valence"

    def __init__(self, vocab, weight: float, device: torch.device):
        from molgan.mol.decoding.decode import max_valences
        from molgan.mol.chem.vocab import BOND_MIN_VALENCE

        self.weight = weight
        self.caps = torch.as_tensor(max_valences(vocab), dtype=torch.float32, device=device)
        self.order = torch.tensor(BOND_MIN_VALENCE, dtype=torch.float32, device=device)

    def excess(self, bonds: Tensor, atoms: Tensor) -> Tensor:
        """(B, N) bond order beyond each atom's cap (absent atoms have cap 0)."""
        return F.relu((bonds * self.order[: bonds.shape[-1]]).sum(dim=(2, 3)) - atoms @ self.caps)

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor:
        return self.weight * self.excess(*fake).pow(2).sum(1).mean()


class ConnectivityPenalty(GeneratorRegularizer):
    """Differentiable single-fragment constraint through the graph Laplacian's spectrum.

    Absent atoms get a large diagonal term, which moves their eigenvalues out of the way;
    the Laplacian of the real atoms then has as many zero eigenvalues as the molecule has
    fragments, so λ0 + λ1 (λ0 = 0) is > 0 exactly when it is one fragment, and is pushed
    above `margin`. Its gradient, sum over the two lowest eigenvectors of (v_i - v_j)^2,
    favours bonds between separate fragments and does not depend on which basis of a
    repeated eigenvalue the solver returns (only eigenvalue gradients are used: finite).
    """

    name = "connectivity"
    ABSENT_SHIFT = 20.0  # above any Laplacian eigenvalue of a molecule (<= 2 x max degree)

    def __init__(self, weight: float, margin: float = 0.1):
        self.weight, self.margin = weight, margin

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor:
        bonds, atoms = fake
        present = 1.0 - atoms[..., 0]
        adjacency = (1.0 - bonds[..., 0]) * present.unsqueeze(1) * present.unsqueeze(2)
        laplacian = torch.diag_embed(adjacency.sum(-1) + self.ABSENT_SHIFT * (1.0 - present)) - adjacency
        lowest = torch.linalg.eigvalsh(laplacian.float())[:, :2].sum(1)
        return self.weight * F.relu(self.margin - lowest).mean()

