"""Layer consistency: the generator's probabilities held to the graphs its output layer made.

The output layer (molgan/mol/nn/valence.py) turns probabilities into valid graphs; training
goes through it straight-through, as if its graph were the probabilities' argmax. When the
two part (on MOSES nearly every atom pair asked for an aromatic bond and valence decided
which were made) the critic's gradient on the layer's graph says little about the
probabilities. This term is the cross-entropy of the probabilities against the layer's own
graph (a fixed target), so that what the generator asks for is what it gets.
"""
from __future__ import annotations

import torch
from torch import Tensor

from molgan.core.task import GeneratorRegularizer


class LayerConsistency(GeneratorRegularizer):
    """weight · (mean cross-entropy of the bond probabilities of atom pairs i < j, plus of the
    atom probabilities of the generator's last training forward) against the layer's graph:
    the generated batch, whose straight-through value is that graph's one-hot."""

    name = "consistency"

    def __init__(self, weight: float, generator):
        self.weight, self.generator = weight, generator

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor | None:
        if self.generator.last_probs is None:
            return None
        bond_probs, atom_probs = self.generator.last_probs
        bond_index, atom_index = (t.argmax(-1) for t in fake)
        n = bond_probs.shape[1]
        rows, cols = torch.triu_indices(n, n, 1, device=bond_probs.device)
        chosen = bond_probs[:, rows, cols].gather(-1, bond_index[:, rows, cols].unsqueeze(-1))
        atoms = atom_probs.gather(-1, atom_index.unsqueeze(-1))
        tiny = torch.finfo(bond_probs.dtype).tiny
        return self.weight * (-(chosen.clamp_min(tiny).log().mean()) - atoms.clamp_min(tiny).log().mean())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"
