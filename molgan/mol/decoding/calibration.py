"""Decode-time calibration of bond-type logits (part of the *delivered* decoding only).

Why: the trained generator's double- and triple-bond logits sit just below the decision
threshold, so its decoded molecules have almost no triple bonds, while a small offset on those
logits brings them back (docs/experiments.md). Rather than hand-tune such offsets,
`calibrate_bond_bias` finds, per chosen bond type, the
logit offset at which the decoded molecules have as many bonds of that type per molecule as
the training data (older checkpoints store the fraction of molecules with at least one such
bond instead, and keep that statistic). It matches a training statistic (never a quality
metric), is a 1-D monotone search per type (11 bisection steps), and raw decoding never
uses it.
"""
from __future__ import annotations

import torch
from torch import Tensor

from molgan.mol.chem.graph import MolGraph
from molgan.mol.chem.vocab import BOND_NAMES, AtomVocab
from molgan.mol.decoding.decode import decode_graphs

MAX_OFFSET = 3.0


def bond_type_indices(names: tuple[str, ...]) -> tuple[int, ...]:
    """Bond names ("double", "triple") -> their indices; "none" cannot be calibrated."""
    unknown = [n for n in names if n not in BOND_NAMES[1:]]
    if unknown:
        raise ValueError(f"unknown bond type(s) {', '.join(map(repr, unknown))}; "
                         f"choose from {', '.join(BOND_NAMES[1:])}")
    return tuple(BOND_NAMES.index(n) for n in names)


def bonds_per_graph(graphs: list[MolGraph], bond_type: int) -> float:
    """Mean number of bonds of `bond_type` per graph."""
    return sum(sum(b[2] == bond_type for b in g.bonds) for g in graphs) / max(len(graphs), 1)


def fraction_with_bond(graphs: list[MolGraph], bond_type: int) -> float:
    """Fraction of `graphs` with at least one bond of `bond_type` (the statistic that
    older checkpoints store as `bond_fractions`)."""
    return sum(any(b[2] == bond_type for b in g.bonds) for g in graphs) / max(len(graphs), 1)


#: What a calibration target measures: bonds of the type per molecule (default), or the
#: fraction of molecules with one (older checkpoints).
STATISTICS = {"count": bonds_per_graph, "presence": fraction_with_bond}


def data_bond_counts(bond_index: Tensor, atom_index: Tensor, bond_types: tuple[int, ...]) -> dict[int, float]:
    """Per bond type: its mean number per graph in the data (B, N, N), (B, N), counting
    bonds between present atoms only."""
    present = atom_index > 0
    between_atoms = present[:, :, None] & present[:, None, :]
    return {k: ((bond_index == k) & between_atoms).flatten(1).sum(1).float().mean().item() / 2 for k in bond_types}


@torch.no_grad()
def calibrate_bond_bias(bond_logits: Tensor, atom_logits: Tensor, vocab: AtomVocab, mode: str,
                        targets: dict[int, float], steps: int = 11, statistic: str = "count") -> Tensor:
    """Offsets (E,) to add to the bond logits so that, decoded with `mode`, each bond type in
    `targets` reaches its target `statistic` (see STATISTICS): bisection within ±MAX_OFFSET,
    one type after the other (each with the offsets found before it). Shapes:
    (B, N, N, E), (B, N, T) -> (E,); all zeros when `targets` is empty."""
    measure = STATISTICS[statistic]
    logits, atoms = bond_logits.float().cpu(), atom_logits.cpu()
    bias = torch.zeros(logits.shape[-1])
    for bond_type, target in targets.items():
        low, high = -MAX_OFFSET, MAX_OFFSET
        for _ in range(steps):
            bias[bond_type] = (low + high) / 2
            if measure(decode_graphs(logits + bias, atoms, vocab, mode), bond_type) < target:
                low = float(bias[bond_type])
            else:
                high = float(bias[bond_type])
        bias[bond_type] = (low + high) / 2
    return bias


CALIBRATION_SAMPLES, CALIBRATION_SEED = 1000, 4321


@torch.no_grad()
def generator_bond_bias(generator: torch.nn.Module, vocab: AtomVocab, mode: str, targets: dict[int, float],
                        latent_scale: float, device: torch.device, samples: int = CALIBRATION_SAMPLES,
                        statistic: str = "count") -> Tensor:
    """`calibrate_bond_bias` for a generator, on `samples` latents of a fixed seed (so a
    checkpoint always gets the same offsets, whatever the sampling seed; training-time
    evaluation passes eval.samples, 1,000 by default like `molgan sample`). Zeros for raw
    decoding (raw, argmax) or no targets."""
    if mode in ("raw", "argmax") or not targets:
        return torch.zeros(generator.bond_types)
    latents = torch.Generator().manual_seed(CALIBRATION_SEED)
    z = torch.randn(samples, generator.latent_dim, generator=latents) * latent_scale
    was_training = generator.training
    generator.eval()
    bonds, atoms = generator.logits(z.to(device))
    generator.train(was_training)
    return calibrate_bond_bias(bonds, atoms, vocab, mode, targets, statistic=statistic)
