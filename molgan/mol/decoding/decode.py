"""Generator output -> molecules, raw or with valence-capped bond decoding.

raw:    argmax atom type and argmax bond type per pair, decoded with no repair. This is
        what "raw validity" measures.
capped: the argmax atoms; then each pair's most likely *real* bond, if the model prefers
        it to "no bond", is added in order of confidence as long as neither atom exceeds
        its maximum valence; finally the largest fragment is kept.
connected: capped, then while there are several fragments, the single bond between two
        fragments' atoms with free valence that the model rates most likely is added
        (keeps every generated atom; a fragment that cannot be joined is dropped).
The repaired ("delivered") decodings are always reported beside raw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from rdkit import Chem
from torch import Tensor

from molgan.mol.chem.graph import MolGraph, canonical_smiles, dense_to_graph, graph_to_mol
from molgan.mol.chem.vocab import AtomVocab

_TABLE = Chem.GetPeriodicTable()


@dataclass(frozen=True)
class Decoded:
    smiles: str | None  # canonical, None if invalid
    reason: str  # "" if valid
    num_atoms: int


def max_valences(vocab: AtomVocab) -> np.ndarray:
    """Largest allowed valence per atom-type index (index 0 = no atom -> 0).

    A charged atom bonds like its isoelectronic neutral neighbour: N+ like C (4),
    O- like F (1), C- like N (3).
    """
    caps = [0]
    for atom_type in vocab.types:
        valences = _TABLE.GetValenceList(max(1, atom_type.atomic_number - atom_type.charge))
        caps.append(max(valences) if valences[0] >= 0 else 4)  # -1: any valence (metals)
    return np.array(caps, dtype=np.int64)


def _capped_graph(atom_index: np.ndarray, bond_probs: np.ndarray, vocab: AtomVocab,
                  caps: np.ndarray, connect: bool = False) -> MolGraph:
    present = np.flatnonzero(atom_index)
    remaining = caps[atom_index[present]].copy()
    sub = bond_probs[np.ix_(present, present)]  # (n, n, E)
    best = sub[..., 1:].argmax(-1) + 1
    best_prob = np.take_along_axis(sub, best[..., None], -1)[..., 0]
    wanted = np.triu(best_prob > sub[..., 0], k=1)
    rows, cols = np.nonzero(wanted)
    order = np.argsort(-best_prob[rows, cols], kind="stable")
    bonds = []
    for k in order:
        i, j = rows[k], cols[k]
        bond = int(best[i, j])
        if remaining[i] >= bond and remaining[j] >= bond:
            remaining[i] -= bond
            remaining[j] -= bond
            bonds.append((int(i), int(j), bond))
    if connect:
        bonds += _joining_bonds(len(present), bonds, sub[..., 1], remaining)
    # Capping can split a molecule: keep its largest piece.
    return largest_component(MolGraph(tuple(vocab[int(a)] for a in atom_index[present]), tuple(bonds)))


def _joining_bonds(n: int, bonds: list, single_prob: np.ndarray, remaining: np.ndarray) -> list:
    """Single bonds that join the fragments into one molecule, most likely pair first,
    between atoms with a free valence; stops when no such pair is left."""
    component = np.arange(n)
    for i, j, _ in bonds:
        component[component == component[j]] = component[i]
    added = []
    while len(np.unique(component)) > 1:
        free = remaining >= 1
        allowed = (component[:, None] != component[None, :]) & free[:, None] & free[None, :]
        if not allowed.any():
            break
        score = np.where(allowed, single_prob, -1.0)
        i, j = np.unravel_index(int(score.argmax()), score.shape)
        remaining[i] -= 1
        remaining[j] -= 1
        added.append((int(min(i, j)), int(max(i, j)), 1))
        component[component == component[j]] = component[i]
    return added


#: The decodings, from the network's own graphs to the most repaired.
DECODINGS = ("raw", "capped", "connected")


@torch.no_grad()
def decode_graphs(bond_logits: Tensor, atom_logits: Tensor, vocab: AtomVocab,
                  mode: str = "capped") -> list[MolGraph]:
    """Generator logits (B, N, N, E), (B, N, T) -> graphs, before any RDKit check."""
    atom_index = atom_logits.argmax(-1).cpu().numpy()
    if mode == "raw":
        bond_index = bond_logits.argmax(-1).cpu().numpy()
        return [dense_to_graph(a, b, vocab) for a, b in zip(atom_index, bond_index)]
    if mode in ("capped", "connected"):
        bond_probs = torch.softmax(bond_logits.float(), -1).cpu().numpy()
        caps = max_valences(vocab)
        return [_capped_graph(a, p, vocab, caps, connect=mode == "connected") for a, p in zip(atom_index, bond_probs)]
    raise ValueError(f"decode mode must be raw, capped or connected, got {mode!r}")


def decode_logits(bond_logits: Tensor, atom_logits: Tensor, vocab: AtomVocab,
                  mode: str = "capped") -> list[Decoded]:
    """Decode a batch of generator logits (B, N, N, E), (B, N, T) to molecules."""
    out = []
    for graph in decode_graphs(bond_logits, atom_logits, vocab, mode):
        mol, reason = graph_to_mol(graph)
        out.append(Decoded(canonical_smiles(mol) if mol is not None else None, reason, len(graph.atoms)))
    return out


def largest_component(graph: MolGraph) -> MolGraph:
    """The connected component with the most atoms (the first such, on ties), renumbered."""
    n = len(graph.atoms)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in graph.bonds:
        parent[find(i)] = find(j)
    roots = [find(i) for i in range(n)]
    if len(set(roots)) <= 1:
        return graph
    keep_root = max(set(roots), key=lambda r: (roots.count(r), -roots.index(r)))
    keep = [i for i in range(n) if roots[i] == keep_root]
    new_index = {old: new for new, old in enumerate(keep)}
    return MolGraph(tuple(graph.atoms[i] for i in keep),
                    tuple((new_index[i], new_index[j], o) for i, j, o in graph.bonds if i in new_index))
