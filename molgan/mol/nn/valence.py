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
4. with the atom types' Kekulé roles (`roles`): each connected system of aromatic bonds with
   no Kekulé structure becomes single bonds, so every aromatic graph kekulizes (below);
5. only the largest fragment is kept (the first, on ties); its other atoms become "no atom".
Shapes: bond probabilities (B, N, N, E), atom indices (B, N), caps and roles (T,) -> bond
indices (B, N, N) and atom indices (B, N).

Kekulé structure: one bond of the system per atom becomes double, no atom gets two. An atom
with a unit of valence left must get one, except a neutral N with only its two ring bonds
(it may carry a hydrogen instead, as in pyrrole: KEKULE_LONE_PAIR); an atom with none left
gets none (furan's O). Carbon and N+ (KEKULE_DOUBLE) always need theirs: their first aromatic
bond reserves that unit in step 1, and a system where one has no unit left and no double
bond outside the ring has no structure. A neutral O or S (KEKULE_DONOR) gives its lone pair:
it takes no double bond, and has its two ring bonds and no other (S's valences are 2, 4, 6,
so a double bond could leave it at 5; a fused S or O has no structure). Whether one exists
is a search for such a matching; aromatic systems are small.
"""
from __future__ import annotations

import functools

import torch
from torch import Tensor

from molgan.mol.chem.vocab import BOND_MIN_VALENCE, BOND_NAMES, KEKULE_BOND_TYPES

#: Kekulé roles of atom types in aromatic systems (see the module doc).
KEKULE_OTHER, KEKULE_DOUBLE, KEKULE_LONE_PAIR, KEKULE_DONOR = 0, 1, 2, 3
DOUBLE = BOND_NAMES.index("double")


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


def _ring_bonds_only(bonds: Tensor, ring_bond: int, present: Tensor, chunk: int = 4096) -> Tensor:
    """`bonds` (B, N, N) with each `ring_bond` bond that is a bridge of the `ring_bond`
    subgraph (on no cycle of such bonds) turned into a single bond."""
    ring = bonds == ring_bond
    graph, i, j = torch.nonzero(torch.triu(ring, 1), as_tuple=True)  # (K,) every ring bond
    if graph.numel() == 0:
        return bonds
    # Each ring bond removed from a copy of its graph's ring subgraph: is one end still
    # reachable from the other? (work grows with the ring bonds present, not with N^2; in
    # chunks, as a batch of 10,000 drug-like graphs has some 300,000 ring bonds)
    bridge = torch.zeros_like(graph, dtype=torch.bool)
    for start in range(0, graph.numel(), chunk):
        part = slice(start, start + chunk)
        without = ring[graph[part]]  # (K, N, N)
        bond = torch.arange(without.shape[0], device=bonds.device)
        without[bond, i[part], j[part]] = False
        without[bond, j[part], i[part]] = False
        labels = _components(without, present[graph[part]])
        bridge[part] = labels[bond, i[part]] != labels[bond, j[part]]
    graph, i, j = graph[bridge], i[bridge], j[bridge]
    out = bonds.clone()
    out[graph, i, j] = 1
    out[graph, j, i] = 1
    return out


def _eager(function):
    """`torch.compiler.disable(function)`, made on the first call: under train.compile the
    layer runs eagerly (its loop's length depends on the data), and commands that never
    compile do not import torch._dynamo (about 2 s of every command's start-up)."""
    eager = None

    @functools.wraps(function)
    def call(*args, **kwargs):
        nonlocal eager
        if eager is None:
            eager = torch.compiler.disable(function)
        return eager(*args, **kwargs)
    return call


@_eager
@torch.no_grad()
def valence_decode(bond_probs: Tensor, atom_index: Tensor, caps: Tensor, connect: bool = True,
                   roles: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """The valence-capped (and, with `connect`, joined) graphs of a batch; see the module doc.
    `roles` (T,): each atom type's Kekulé role, for aromatic bonds (None: not checked)."""
    b, n, _, e = bond_probs.shape
    device = bond_probs.device
    bond_valence = torch.tensor(BOND_MIN_VALENCE[:e], device=device)
    ring_bond = BOND_NAMES.index("aromatic") if e > KEKULE_BOND_TYPES else None
    kekule = roles is not None and ring_bond is not None
    present = atom_index > 0
    cap = caps.to(device)[atom_index].long()  # (B, N)
    remaining = cap.clone()
    if kekule:
        role = roles.to(device)[atom_index]
        reserve, in_ring = role == KEKULE_DOUBLE, torch.zeros_like(present)
    rows, cols = torch.triu_indices(n, n, 1, device=device)
    pairs = bond_probs[:, rows, cols]  # (B, P, E)
    best_prob, best = pairs[..., 1:].max(-1)
    best = best + 1
    wanted = (best_prob > pairs[..., 0]) & present[:, rows] & present[:, cols]
    key = torch.where(wanted, best_prob, torch.full_like(best_prob, -1.0))
    steps = int(wanted.sum(1).max()) if rows.numel() else 0
    order = torch.sort(key, dim=1, descending=True, stable=True).indices[:, :steps]
    # Each graph's requests in the order they are granted: atoms, bond, valence each takes.
    first, second, bond_of = rows[order], cols[order], best.gather(1, order)
    need_of, wanted_of = bond_valence[bond_of], wanted.gather(1, order)
    ring_of = bond_of == ring_bond if kekule else None
    granted = torch.zeros(b, steps, dtype=torch.bool, device=device)
    batch = torch.arange(b, device=device)
    for k in range(steps):
        i, j = first[:, k], second[:, k]
        need_i = need_j = need_of[:, k]
        if kekule:  # a carbon's first aromatic bond also holds the unit its double bond needs
            ring = ring_of[:, k]
            need_i = need_i + (ring & reserve[batch, i] & ~in_ring[batch, i]).long()
            need_j = need_j + (ring & reserve[batch, j] & ~in_ring[batch, j]).long()
        fits = wanted_of[:, k] & (remaining[batch, i] >= need_i) & (remaining[batch, j] >= need_j)
        remaining[batch, i] -= need_i * fits
        remaining[batch, j] -= need_j * fits
        granted[:, k] = fits
        if kekule:
            in_ring[batch, i] |= fits & ring
            in_ring[batch, j] |= fits & ring
    chosen = torch.zeros(b, rows.numel(), dtype=torch.long, device=device)
    chosen.scatter_(1, order, bond_of * granted)
    bonds = torch.zeros(b, n, n, dtype=torch.long, device=device)
    bonds[:, rows, cols] = chosen
    bonds = bonds + bonds.transpose(1, 2)
    if connect:
        labels = _components(bonds > 0, present)
        single = bond_probs[..., 1]
        for _ in range(n - 1):
            free = present & (remaining >= 1)
            joins = (labels.unsqueeze(2) != labels.unsqueeze(1)) & free.unsqueeze(2) & free.unsqueeze(1)
            joinable = joins.flatten(1).any(1)
            if not joinable.any():
                break
            flat = torch.where(joins, single, torch.full_like(single, -1.0)).flatten(1).argmax(1)
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
        if kekule:
            bonds = _kekulizable_only(bonds, ring_bond, cap, role)
    # Keep the largest fragment; ties go to the one holding the lowest atom index.
    labels = _components(bonds > 0, present)
    sizes = torch.zeros(b, n + 1, dtype=torch.long, device=device).scatter_add_(1, labels, torch.ones_like(labels))
    sizes[:, n] = 0
    rank = sizes * (n + 1) - torch.arange(n + 1, device=device)
    keep = labels == rank.argmax(1, keepdim=True)
    atoms = atom_index * keep
    bonds = bonds * (keep.unsqueeze(1) & keep.unsqueeze(2))
    return bonds, atoms


def _kekulizable_only(bonds: Tensor, ring_bond: int, cap: Tensor, role: Tensor) -> Tensor:
    """`bonds` (B, N, N) with each connected system of `ring_bond` bonds that has no Kekulé
    structure turned into single bonds; `cap`,
    `role` (B, N): each atom's valence cap and Kekulé role. In Python, graph by graph: only
    graphs with aromatic bonds are visited."""
    has_ring = (bonds == ring_bond).flatten(1).any(1)
    if not has_ring.any():
        return bonds
    out = bonds.clone()
    for g in torch.nonzero(has_ring).flatten().tolist():
        graph, caps, roles = bonds[g].tolist(), cap[g].tolist(), role[g].tolist()
        n = len(graph)
        ring = [[c for c in range(n) if graph[a][c] == ring_bond] for a in range(n)]
        seen: set[int] = set()
        for start in range(n):
            if not ring[start] or start in seen:
                continue
            system, stack = set(), [start]
            while stack:
                a = stack.pop()
                if a not in system:
                    system.add(a)
                    stack.extend(ring[a])
            seen |= system
            if not _has_kekule_structure(system, ring, graph, caps, roles):
                for a in system:
                    for c in ring[a]:
                        out[g, a, c] = 1
    return out


def _has_kekule_structure(system: set[int], ring: list[list[int]], graph: list[list[int]],
                          caps: list[int], roles: list[int]) -> bool:
    """Whether the aromatic system's atoms can each get the double bond they need (module doc)."""
    takers, needers = set(), set()
    for a in system:
        if roles[a] == KEKULE_DONOR:
            if len(ring[a]) != 2 or sum(bond > 0 for bond in graph[a]) != 2:
                return False
            continue
        used = sum(BOND_MIN_VALENCE[bond] for bond in graph[a])
        if caps[a] - used >= 1:
            takers.add(a)
            degree = sum(bond > 0 for bond in graph[a])
            if not (roles[a] == KEKULE_LONE_PAIR and len(ring[a]) == 2 and degree == 2):
                needers.add(a)
        elif roles[a] == KEKULE_DOUBLE and DOUBLE not in graph[a]:
            return False
    return _matching(sorted(needers), takers, ring, frozenset())


def _matching(needers: list[int], takers: set[int], ring: list[list[int]], matched: frozenset) -> bool:
    """Can each atom of `needers` not yet in `matched` share a ring bond with its own atom of
    `takers`? (depth-first over the first unmatched atom's partners)"""
    first = next((a for a in needers if a not in matched), None)
    if first is None:
        return True
    return any(_matching(needers, takers, ring, matched | {first, c})
               for c in ring[first] if c in takers and c not in matched)
