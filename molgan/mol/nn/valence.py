"""The valence-aware output layer: generator probabilities -> a graph that respects valence.

Batched and in torch, so the generator can be trained through it (straight-through) and
the critic sees during training exactly the graphs that sampling delivers.

Per graph, given the argmax atom types and each atom type's maximum valence:
1. every atom pair whose most likely real bond is more likely than "no bond" asks for that
   bond; the requests are granted most confident first, while both atoms have the valence
   left for them (a request that does not fit is dropped; an aromatic bond takes 1, the
   least it can be once kekulized, so RDKit still checks that its rings kekulize); with
   `LayerRules`, a request that would close a ring needs at least its probability and a ring
   size within bounds, a pair of atom types can ask only for the bond types it is allowed,
   and an atom gets no more neighbours than its type may have;
2. with `connect`, while the graph has several fragments, the single bond between two
   fragments' atoms with free valence that the model rates most likely (and that the rules
   allow between their types) is added;
3. aromatic bonds that lie on no cycle of aromatic bonds become single bonds (aromatic
   bonds exist only in rings);
4. with the atom types' Kekulé roles (`roles`): each connected system of aromatic bonds with
   no Kekulé structure becomes single bonds, so every aromatic graph kekulizes (below); in
   3 and 4, a single bond the rules forbid between the two atom types is removed instead;
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
from dataclasses import dataclass

import torch
from torch import Tensor

from molgan.mol.chem.vocab import BOND_MIN_VALENCE, BOND_NAMES, KEKULE_BOND_TYPES

#: Kekulé roles of atom types in aromatic systems (see the module doc).
KEKULE_OTHER, KEKULE_DOUBLE, KEKULE_LONE_PAIR, KEKULE_DONOR = 0, 1, 2, 3
DOUBLE = BOND_NAMES.index("double")


@dataclass(frozen=True)
class LayerRules:
    """What the output layer grants besides valence. A bond that closes a ring needs at
    least probability `ring_threshold` and a ring of at least `min_ring_size` and at most
    `max_ring_size` atoms (0: any). `allowed_bonds`, when given, is a (T, T, E) nested tuple
    of booleans: which bond types may join two atom types ("no bond" always may;
    `allowed_pair_bonds`); `max_neighbours`, when given, (T,): how many bonded neighbours
    each atom type may have (`max_neighbours`)."""

    ring_threshold: float = 0.0
    min_ring_size: int = 0
    allowed_bonds: tuple = ()
    max_neighbours: tuple = ()
    max_ring_size: int = 0

    @property
    def rings_active(self) -> bool:
        return self.ring_threshold > 0 or self.min_ring_size > 0 or self.max_ring_size > 0


def pair_bond_counts(bond_index: Tensor, atom_index: Tensor, bond_types: int, atom_types: int,
                     chunk: int = 16384) -> Tensor:
    """(T, T, E) symmetric counts of each bond type between each pair of atom types in a
    dataset of index graphs (M, N, N), (M, N); a bond between two atoms of one type counts
    once, between two types once in each order. In chunks (memory-mapped datasets)."""
    n = atom_index.shape[1]
    rows, cols = torch.triu_indices(n, n, 1)
    counts = torch.zeros(atom_types * atom_types * bond_types, dtype=torch.long)
    for start in range(0, len(atom_index), chunk):
        atoms = atom_index[start:start + chunk].long()
        bonds = bond_index[start:start + chunk][:, rows, cols].long()
        first, second = atoms[:, rows], atoms[:, cols]
        bonded = bonds > 0
        key = (first[bonded] * atom_types + second[bonded]) * bond_types + bonds[bonded]
        counts += torch.bincount(key, minlength=counts.numel())
    table = counts.view(atom_types, atom_types, bond_types)
    symmetric = table + table.transpose(0, 1)
    same = torch.arange(atom_types)
    symmetric[same, same] = table[same, same]  # one type at both ends: counted once
    return symmetric


def neighbour_counts(bond_index: Tensor, atom_index: Tensor, atom_types: int, chunk: int = 16384) -> Tensor:
    """(T, N) counts of atoms of each type with 0 .. N - 1 bonded neighbours in a dataset of
    index graphs (M, N, N), (M, N)."""
    n = atom_index.shape[1]
    counts = torch.zeros(atom_types * n, dtype=torch.long)
    for start in range(0, len(atom_index), chunk):
        degree = (bond_index[start:start + chunk] > 0).sum(-1)
        counts += torch.bincount((atom_index[start:start + chunk].long() * n + degree).flatten(),
                                 minlength=counts.numel())
    return counts.view(atom_types, n)


def max_neighbours(counts: Tensor, molecules: int, min_per_molecule: float) -> tuple:
    """`LayerRules.max_neighbours` from `neighbour_counts` of `molecules` molecules: the most
    neighbours an atom type has in at least `min_per_molecule` atoms per molecule (e.g. 1e-3:
    four for MOSES' sulfur, whose valence of 6 let its generator give it six)."""
    often = counts >= min_per_molecule * molecules
    degrees = torch.arange(counts.shape[1]).expand_as(counts)
    return tuple(int(v) for v in torch.where(often, degrees, torch.zeros_like(degrees)).amax(1))


def allowed_pair_bonds(counts: Tensor, molecules: int, min_per_molecule: float) -> tuple:
    """`LayerRules.allowed_bonds` from `pair_bond_counts` of `molecules` molecules: a bond
    type may join two atom types when the data have at least `min_per_molecule` of them per
    molecule (e.g. 1e-3 forbids on MOSES O-O, N-F, N-Cl, S=C and N-O single bonds)."""
    allowed = counts >= min_per_molecule * molecules
    allowed[..., 0] = True
    return tuple(tuple(tuple(bool(v) for v in row) for row in plane) for plane in allowed.tolist())


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


def _ring_bonds_only(bonds: Tensor, ring_bond: int, present: Tensor, single_allowed: Tensor | None = None,
                     chunk: int = 4096) -> Tensor:
    """`bonds` (B, N, N) with each `ring_bond` bond that is a bridge of the `ring_bond`
    subgraph (on no cycle of such bonds) turned into a single bond, or removed where
    `single_allowed` (B, N, N) forbids one."""
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
    single = torch.ones_like(graph) if single_allowed is None else single_allowed[graph, i, j].long()
    out = bonds.clone()
    out[graph, i, j] = single
    out[graph, j, i] = single
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
                   roles: Tensor | None = None, rules: LayerRules = LayerRules()) -> tuple[Tensor, Tensor]:
    """The valence-capped (and, with `connect`, joined) graphs of a batch; see the module doc.
    `roles` (T,): each atom type's Kekulé role, for aromatic bonds (None: not checked).
    `rules`: what a request that closes a ring (between two atoms the granted bonds already
    connect) needs to be granted, which bond types each pair of atom types may ask for, and
    how many neighbours each atom type may have."""
    b, n, _, e = bond_probs.shape
    device = bond_probs.device
    bond_valence = torch.tensor(BOND_MIN_VALENCE[:e], device=device)
    ring_bond = BOND_NAMES.index("aromatic") if e > KEKULE_BOND_TYPES else None
    kekule = roles is not None and ring_bond is not None
    present = atom_index > 0
    cap = caps.to(device)[atom_index].long()  # (B, N)
    remaining = cap.clone()
    spare = None  # with rules.max_neighbours: the neighbours each atom may still get
    if rules.max_neighbours:
        spare = torch.tensor(rules.max_neighbours, device=device)[atom_index]
    if kekule:
        role = roles.to(device)[atom_index]
        reserve, in_ring = role == KEKULE_DOUBLE, torch.zeros_like(present)
    rows, cols = torch.triu_indices(n, n, 1, device=device)
    pairs = bond_probs[:, rows, cols]  # (B, P, E)
    allowed = None
    if rules.allowed_bonds:  # (B, P, E): what each pair's atom types may be joined by
        table = torch.tensor(rules.allowed_bonds, dtype=torch.bool, device=device)
        allowed = table[atom_index[:, rows], atom_index[:, cols]]
        pairs = torch.where(allowed, pairs, torch.zeros_like(pairs))
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
    if rules.rings_active:  # shortest paths along granted bonds, to tell ring closures and their size
        confident_of = best_prob.gather(1, order) >= rules.ring_threshold
        far = n + 1  # no path
        distance = torch.full((b, n, n), far, dtype=torch.long, device=device)
        distance[:, torch.arange(n), torch.arange(n)] = 0
    for k in range(steps):
        i, j = first[:, k], second[:, k]
        need_i = need_j = need_of[:, k]
        if kekule:  # a carbon's first aromatic bond also holds the unit its double bond needs
            ring = ring_of[:, k]
            need_i = need_i + (ring & reserve[batch, i] & ~in_ring[batch, i]).long()
            need_j = need_j + (ring & reserve[batch, j] & ~in_ring[batch, j]).long()
        fits = wanted_of[:, k] & (remaining[batch, i] >= need_i) & (remaining[batch, j] >= need_j)
        if spare is not None:
            fits = fits & (spare[batch, i] > 0) & (spare[batch, j] > 0)
        if rules.rings_active:
            path = distance[batch, i, j]  # the ring this bond would close has path + 1 atoms
            closes = path < far
            size_fits = path + 1 >= rules.min_ring_size
            if rules.max_ring_size:
                size_fits &= path + 1 <= rules.max_ring_size
            fits = fits & (~closes | (confident_of[:, k] & size_fits))
            through = distance[batch, :, i].unsqueeze(2) + 1 + distance[batch, j, :].unsqueeze(1)
            through = torch.minimum(through, through.transpose(1, 2))
            distance = torch.where(fits.view(b, 1, 1), torch.minimum(distance, through), distance)
        remaining[batch, i] -= need_i * fits
        remaining[batch, j] -= need_j * fits
        if spare is not None:
            spare[batch, i] -= fits.long()
            spare[batch, j] -= fits.long()
        granted[:, k] = fits
        if kekule:
            in_ring[batch, i] |= fits & ring
            in_ring[batch, j] |= fits & ring
    chosen = torch.zeros(b, rows.numel(), dtype=torch.long, device=device)
    chosen.scatter_(1, order, bond_of * granted)
    bonds = torch.zeros(b, n, n, dtype=torch.long, device=device)
    bonds[:, rows, cols] = chosen
    bonds = bonds + bonds.transpose(1, 2)
    single_allowed = None  # (B, N, N): may these atoms' types be singly bonded?
    if allowed is not None:
        single_allowed = table[atom_index.unsqueeze(2), atom_index.unsqueeze(1), 1]
    if connect:
        labels = _components(bonds > 0, present)
        single = bond_probs[..., 1]
        for _ in range(n - 1):
            free = present & (remaining >= 1)
            if spare is not None:
                free &= spare > 0
            joins = (labels.unsqueeze(2) != labels.unsqueeze(1)) & free.unsqueeze(2) & free.unsqueeze(1)
            if single_allowed is not None:
                joins &= single_allowed
            joinable = joins.flatten(1).any(1)
            if not joinable.any():
                break
            flat = torch.where(joins, single, torch.full_like(single, -1.0)).flatten(1).argmax(1)
            i, j = flat // n, flat % n
            i, j = torch.minimum(i, j)[joinable], torch.maximum(i, j)[joinable]
            rows_joined = batch[joinable]
            remaining[rows_joined, i] -= 1
            remaining[rows_joined, j] -= 1
            if spare is not None:
                spare[rows_joined, i] -= 1
                spare[rows_joined, j] -= 1
            bonds[rows_joined, i, j] = 1
            bonds[rows_joined, j, i] = 1
            old, new = labels[rows_joined, j], labels[rows_joined, i]
            merged = labels[rows_joined]
            labels[rows_joined] = torch.where(merged == old.unsqueeze(1), new.unsqueeze(1), merged)
    if ring_bond is not None:
        bonds = _ring_bonds_only(bonds, ring_bond, present, single_allowed)
        if kekule:
            bonds = _kekulizable_only(bonds, ring_bond, cap, role, single_allowed)
    # Keep the largest fragment; ties go to the one holding the lowest atom index.
    labels = _components(bonds > 0, present)
    sizes = torch.zeros(b, n + 1, dtype=torch.long, device=device).scatter_add_(1, labels, torch.ones_like(labels))
    sizes[:, n] = 0
    rank = sizes * (n + 1) - torch.arange(n + 1, device=device)
    keep = labels == rank.argmax(1, keepdim=True)
    atoms = atom_index * keep
    bonds = bonds * (keep.unsqueeze(1) & keep.unsqueeze(2))
    return bonds, atoms


def _kekulizable_only(bonds: Tensor, ring_bond: int, cap: Tensor, role: Tensor,
                      single_allowed: Tensor | None = None) -> Tensor:
    """`bonds` (B, N, N) with each connected system of `ring_bond` bonds that has no Kekulé
    structure turned into single bonds (none where `single_allowed` forbids one); `cap`,
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
                        out[g, a, c] = 1 if single_allowed is None else int(single_allowed[g, a, c])
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
