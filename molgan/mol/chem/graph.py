"""Molecules <-> dense graphs, and the one decoder every generated graph goes through.

A molecule becomes an atom-type index vector (N,) and a symmetric bond-type index matrix
(N, N): heavy atoms only (hydrogens implicit), aromatic bonds as their own type (or, for
kekulized datasets, as single and double bonds), index 0 = nothing. An aromatic N's
hydrogen (pyrrole's [nH]) is not stored: decoding puts it on the first aromatic N that
makes the ring system kekulizable, so of two tautomers the graph keeps one.
`decode_dense` is the inverse used for the data round trip *and* for generator samples,
so "valid" means the same thing everywhere: RDKit sanitizes it and it is one fragment.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np
from rdkit import Chem, RDLogger

from molgan.mol.chem.vocab import BOND_ORDERS, BOND_RDKIT, AtomType, AtomVocab

# RDKit prints every sanitization failure to stderr; we report reasons ourselves.
RDLogger.DisableLog("rdApp.*")

Bond = tuple[int, int, int]  # (atom i, atom j, bond index 1..4, see BOND_NAMES)


@dataclass(frozen=True)
class MolGraph:
    """A heavy-atom graph in list form, independent of any vocabulary."""

    atoms: tuple[AtomType, ...]
    bonds: tuple[Bond, ...]


class NotRepresentable(ValueError):
    """A molecule that cannot become a dense graph; the message is the reason."""


#: One AtomType per (symbol, charge): a frozen dataclass costs more to build than to look up.
_atom_type = functools.cache(AtomType)


@functools.cache
def _atom_prototype(atom_type: AtomType, aromatic: bool) -> Chem.Atom:
    """An RDKit atom of `atom_type` for RWMol.AddAtom, which copies it: one per kind, not
    three RDKit calls per atom of every molecule converted."""
    atom = Chem.Atom(atom_type.symbol)
    atom.SetFormalCharge(atom_type.charge)
    atom.SetIsAromatic(aromatic)
    return atom


def canonical_smiles(mol: Chem.Mol) -> str:
    """Canonical SMILES without stereo or isotopes: what a dense graph can express."""
    return Chem.MolToSmiles(mol, isomericSmiles=False)


def smiles_to_graph(smiles: str, keep_largest_fragment: bool = True,
                    aromatic: bool = False) -> tuple[str, MolGraph]:
    """Standardize `smiles` and convert it to a graph; return (canonical SMILES, graph).

    Raises NotRepresentable with the reason when the molecule cannot be stored: the
    returned graph is guaranteed to decode back to the returned canonical SMILES (for an
    aromatic graph, that of the tautomer decoding gives when it moved an [nH]).
    """
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        raise NotRepresentable("unparsable SMILES" if smiles else "empty SMILES")
    fragments = len(Chem.GetMolFrags(mol))  # atom indices: no copies of a one-fragment molecule
    if fragments > 1:
        if not keep_largest_fragment:
            raise NotRepresentable(f"{fragments} disconnected fragments")
        mol = max(Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False), key=lambda m: m.GetNumAtoms())
    if mol.GetNumHeavyAtoms() == 0:
        raise NotRepresentable("no heavy atoms")
    # Atoms and bonds are read by index here: RDKit's Python sequences of them cost more than
    # the reads. Hydrogens are looked for only when some atom is not heavy.
    if mol.GetNumAtoms() != mol.GetNumHeavyAtoms() and any(
            mol.GetAtomWithIdx(k).GetAtomicNum() == 1 for k in range(mol.GetNumAtoms())):
        # Hydrogens the parser kept (isotopes such as [2H], H bonded to H) become implicit.
        mol = Chem.RemoveAllHs(mol)
        if any(atom.GetAtomicNum() == 1 for atom in mol.GetAtoms()):
            raise NotRepresentable("hydrogen atoms that cannot be implicit")
    reference = canonical_smiles(mol)
    # Number atoms in canonical output order: the same molecule always gives the same
    # dense graph, whatever SMILES it was written as.
    order = [int(i) for i in mol.GetProp("_smilesAtomOutputOrder").strip("[],").split(",")]
    mol = Chem.RenumberAtoms(mol, order)
    if not aromatic:
        try:
            Chem.Kekulize(mol, clearAromaticFlags=True)
        except Chem.KekulizeException:
            raise NotRepresentable("cannot be kekulized") from None
    atoms = tuple(_atom_type(a.GetSymbol(), a.GetFormalCharge())
                  for a in map(mol.GetAtomWithIdx, range(mol.GetNumAtoms())))
    bonds = []
    for bond in map(mol.GetBondWithIdx, range(mol.GetNumBonds())):
        order = BOND_ORDERS.get(bond.GetBondType())
        if order is None:
            raise NotRepresentable(f"unsupported bond type {bond.GetBondType()}")
        bonds.append((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), order))
    graph = MolGraph(atoms, tuple(bonds))
    rebuilt, reason = graph_to_mol(graph)
    if rebuilt is None:
        raise NotRepresentable(reason)
    decoded = canonical_smiles(rebuilt)
    if decoded != reference and not (aromatic and _formula(rebuilt) == _formula(mol)):
        # Radicals and unusual hydrogen counts are lost when hydrogens are implicit.
        raise NotRepresentable("needs explicit hydrogens or radicals")
    return decoded, graph


def _formula(mol: Chem.Mol) -> str:
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    return CalcMolFormula(mol)


def graph_to_mol(graph: MolGraph) -> tuple[Chem.Mol | None, str]:
    """Build and sanitize an RDKit Mol; return (mol, "") or (None, reason).

    Valid means: at least one atom, RDKit sanitization succeeds, and a single fragment.
    """
    if not graph.atoms:
        return None, "empty graph"
    aromatic_bonds = [0] * len(graph.atoms)
    for i, j, order in graph.bonds:
        if BOND_RDKIT[int(order)] == Chem.BondType.AROMATIC:
            aromatic_bonds[i] += 1
            aromatic_bonds[j] += 1
    mol, reason = _sanitized(graph, aromatic_bonds)
    if reason == "aromaticity":
        # Pyrrole-type N atoms carry a hydrogen the graph does not store: the fewest aromatic
        # N atoms with two bonds (the first such set, in atom order) whose hydrogens make the
        # rings kekulizable get one.
        degree = [0] * len(graph.atoms)
        for i, j, _ in graph.bonds:
            degree[i] += 1
            degree[j] += 1
        candidates = [k for k, atom_type in enumerate(graph.atoms) if atom_type.symbol == "N"
                      and atom_type.charge == 0 and aromatic_bonds[k] == 2 and degree[k] == 2]
        options = (c for size in range(1, min(3, len(candidates)) + 1) for c in combinations(candidates, size))
        for hydrogens in options:
            mol, _ = _sanitized(graph, aromatic_bonds, hydrogens)
            if mol is not None:
                break
    if mol is None:
        return None, reason
    if len(Chem.GetMolFrags(mol)) > 1:
        return None, "disconnected"
    return mol, ""


def _sanitized(graph: MolGraph, aromatic_bonds: list[int],
               hydrogens: tuple[int, ...] = ()) -> tuple[Chem.Mol | None, str]:
    """The sanitized molecule of `graph` (atoms with an aromatic bond flagged aromatic, one
    explicit hydrogen on each atom of `hydrogens`), or None and the reason."""
    rw = Chem.RWMol()
    for k, atom_type in enumerate(graph.atoms):
        if k in hydrogens:
            atom = Chem.Atom(_atom_prototype(atom_type, aromatic_bonds[k] > 0))
            atom.SetNumExplicitHs(1)
        else:
            atom = _atom_prototype(atom_type, aromatic_bonds[k] > 0)
        rw.AddAtom(atom)  # a copy
    for i, j, order in graph.bonds:
        bond_type = BOND_RDKIT[int(order)]
        rw.AddBond(int(i), int(j), bond_type)
        if bond_type == Chem.BondType.AROMATIC:
            rw.GetBondBetweenAtoms(int(i), int(j)).SetIsAromatic(True)
    mol = rw.GetMol()
    try:
        Chem.SanitizeMol(mol)
    except Chem.AtomValenceException:
        return None, "valence"
    except (Chem.KekulizeException, Chem.AtomKekulizeException):  # the latter: aromatic outside a ring
        return None, "aromaticity"
    except Exception:  # RDKit raises several unrelated types for broken chemistry
        return None, "sanitization"
    return mol, ""


def encode_dense(graph: MolGraph, vocab: AtomVocab, max_atoms: int) -> tuple[np.ndarray, np.ndarray]:
    """Graph -> (atom indices (N,), symmetric bond indices (N, N)), uint8, N = max_atoms."""
    if len(graph.atoms) > max_atoms:
        raise NotRepresentable(f"{len(graph.atoms)} heavy atoms, over the limit of {max_atoms}")
    atoms = np.zeros(max_atoms, dtype=np.uint8)
    bonds = np.zeros((max_atoms, max_atoms), dtype=np.uint8)
    for k, atom_type in enumerate(graph.atoms):
        if atom_type not in vocab:
            raise NotRepresentable(f"atom type {atom_type} not in the vocabulary")
        atoms[k] = vocab.index(atom_type)
    for i, j, order in graph.bonds:
        bonds[i, j] = bonds[j, i] = order
    return atoms, bonds


def dense_to_graph(atoms: Sequence[int], bonds: np.ndarray, vocab: AtomVocab) -> MolGraph:
    """Dense indices -> graph, with no repair: absent atoms and their bonds are dropped.

    Only the upper triangle of `bonds` is read, so an asymmetric matrix decodes the same
    as its upper half mirrored.
    """
    atoms = np.asarray(atoms)
    bonds = np.asarray(bonds)
    present = np.flatnonzero(atoms)
    atom_types = tuple(vocab[int(atoms[p])] for p in present)
    sub = np.triu(bonds[np.ix_(present, present)], k=1)
    rows, cols = np.nonzero(sub)
    edges = tuple((int(i), int(j), int(sub[i, j])) for i, j in zip(rows, cols))
    return MolGraph(atom_types, edges)


def decode_dense(atoms: Sequence[int], bonds: np.ndarray, vocab: AtomVocab) -> tuple[str | None, str]:
    """Dense indices -> (canonical SMILES, "") if valid, else (None, reason)."""
    mol, reason = graph_to_mol(dense_to_graph(atoms, bonds, vocab))
    return (canonical_smiles(mol), "") if mol is not None else (None, reason)
