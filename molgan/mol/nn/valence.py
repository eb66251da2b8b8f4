"""The valence-aware output layer: generator probabilities -> a graph that respects valence.

Batched and in torch, so the generator can be trained through it (straight-through) and
the critic sees during training exactly the graphs that sampling delivers.

Per graph, given the argmax atom types and each atom type's maximum valence:
1. every atom pair whose most likely real bond is more likely than "no bond" asks for that
   bond; the requests are granted most confident first, while both atoms have the valence
   left for them (a request that does not fit is dropped; an aromatic bond takes 1, the
   least it can be once kekulized, so RDKit still checks that its rings kekulize);
2. with `connect`, while the graph has several fragments, the single bond between two
   fragments' atoms with free valence that the model rates most likely is added;
3. aromatic bonds that lie on no cycle of aromatic bonds become single bonds (aromatic
   bonds exist only in rings);
4. only the largest fragment is kept (the first, on ties); its other atoms become "no atom".
Shapes: bond probabilities (B, N, N, E), atom indices (B, N), caps (T,) -> bond indices
(B, N, N) and atom indices (B, N).
"""
from __future__ import annotations

import torch
from torch import Tensor

from molgan.mol.chem.vocab import BOND_MIN_VALENCE, BOND_NAMES, KEKULE_BOND_TYPES


def _components(adjacent: Tensor, present: Tensor) -> Tensor:
    """(B, N) label of each atom's fragment: the smallest atom index in it (absent atoms: N)."""
    n = present.shape[1]
    index = torch.arange(n, device=present.device).expand_as(present)
    labels = torch.where(present, index, torch.full_like(index, n))
    big = torch.full_like(adjacent, n, dtype=labels.dtype)
    for _ in range(max(n - 1, 0)):  # a label travels at least one bond per round
        neighbour = torch.where(adjacent, labels.unsqueeze(1).expand_as(big), big).amin(-1)
        updated = torch.where(present, torch.minimum(labels, neighbour), labels)
        if torch.equal(updated, labels):
            break
        labels = updated
    return labels


def _ring_bonds_only(bonds: Tensor, ring_bond: int, present: Tensor) -> Tensor:
    """`bonds` (B, N, N) with each `ring_bond` bond that is a bridge of the `ring_bond`
    subgraph (on no cycle of such bonds) turned into a single bond."""
    ring = bonds == ring_bond
    b, n, _ = ring.shape
    rows, cols = torch.triu_indices(n, n, 1, device=bonds.device)
    # Each ring bond removed in turn: is one end still reachable from the other?
    without = ring.unsqueeze(1).repeat(1, rows.numel(), 1, 1)  # (B, P, N, N)
    pair = torch.arange(rows.numel(), device=bonds.device)
    without[:, pair, rows, cols] = False
    without[:, pair, cols, rows] = False
    labels = _components(without.flatten(0, 1), present.repeat_interleave(rows.numel(), 0)).view(b, -1, n)
    bridge = ring[:, rows, cols] & (labels[:, pair, rows] != labels[:, pair, cols])
    single = torch.zeros_like(bonds)
    single[:, rows, cols] = bridge.long()
    single = (single + single.transpose(1, 2)).bool()
    return torch.where(single, torch.ones_like(bonds), bonds)


# Under train.compile the layer runs eagerly: its loop's length depends on the data.
@torch.compiler.disable
@torch.no_grad()
def valence_decode(bond_probs: Tensor, atom_index: Tensor, caps: Tensor,
                   connect: bool = True) -> tuple[Tensor, Tensor]:
    """The valence-capped (and, with `connect`, joined) graphs of a batch; see the module doc."""
    b, n, _, e = bond_probs.shape
    device = bond_probs.device
    bond_valence = torch.tensor(BOND_MIN_VALENCE[:e], device=device)
    ring_bond = BOND_NAMES.index("aromatic") if e > KEKULE_BOND_TYPES else None
    present = atom_index > 0
    remaining = caps.to(device)[atom_index].long()  # (B, N)
    rows, cols = torch.triu_indices(n, n, 1, device=device)
    pairs = bond_probs[:, rows, cols]  # (B, P, E)
    best_prob, best = pairs[..., 1:].max(-1)
    best = best + 1
    wanted = (best_prob > pairs[..., 0]) & present[:, rows] & present[:, cols]
    key = torch.where(wanted, best_prob, torch.full_like(best_prob, -1.0))
    order = torch.sort(key, dim=1, descending=True, stable=True).indices
    chosen = torch.zeros(b, rows.numel(), dtype=torch.long, device=device)
    batch = torch.arange(b, device=device)
    for k in range(int(wanted.sum(1).max()) if rows.numel() else 0):
        pair = order[:, k]
        i, j, bond = rows[pair], cols[pair], best[batch, pair]
        need = bond_valence[bond]
        fits = wanted[batch, pair] & (remaining[batch, i] >= need) & (remaining[batch, j] >= need)
        remaining[batch, i] -= need * fits
        remaining[batch, j] -= need * fits
        chosen[batch, pair] = bond * fits
    bonds = torch.zeros(b, n, n, dtype=torch.long, device=device)
    bonds[:, rows, cols] = chosen
    bonds = bonds + bonds.transpose(1, 2)
    if connect:
        labels = _components(bonds > 0, present)
        single = bond_probs[..., 1]
        for _ in range(n - 1):
            free = present & (remaining >= 1)
            allowed = (labels.unsqueeze(2) != labels.unsqueeze(1)) & free.unsqueeze(2) & free.unsqueeze(1)
            joinable = allowed.flatten(1).any(1)
            if not joinable.any():
                break
            flat = torch.where(allowed, single, torch.full_like(single, -1.0)).flatten(1).argmax(1)
            i, j = flat // n, flat % n
            i, j = torch.minimum(i, j)[joinable], torch.maximum(i, j)[joinable]
            rows_joined = batch[joinable]
            remaining[rows_joined, i] -= 1
            remaining[rows_joined, j] -= 1
            bonds[rows_joined, i, j] = 1
            bonds[rows_joined, j, i] = 1
            old, new = labels[rows_joined, j], labels[rows_joined, i]
            merged = labels[rows_joined]
            labels[rows_joined] = torch.where(merged == old.unsqueeze(1), new.unsqueeze(1), merged)
    if ring_bond is not None:
        bonds = _ring_bonds_only(bonds, ring_bond, present)
    # Keep the largest fragment; ties go to the one holding the lowest atom index.
    labels = _components(bonds > 0, present)
    sizes = torch.zeros(b, n + 1, dtype=torch.long, device=device).scatter_add_(1, labels, torch.ones_like(labels))
    sizes[:, n] = 0
    rank = sizes * (n + 1) - torch.arange(n + 1, device=device)
    keep = labels == rank.argmax(1, keepdim=True)
    atoms = atom_index * keep
    bonds = bonds * (keep.unsqueeze(1) & keep.unsqueeze(2))
    return bonds, atoms
