"""Atom and bond vocabularies of the dense molecular graphs.

An atom type is an (element, formal charge) pair: QM9 alone has 580 molecules whose
charges (zwitterions, nitro groups) cannot be recovered from elements alone. Index 0 of
both vocabularies means "nothing here" (no atom, no bond), so a dense graph padded with
zeros is a valid smaller graph.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from rdkit import Chem

_PERIODIC_TABLE = Chem.GetPeriodicTable()
_ATOM_TYPE_RE = re.compile(r"^([A-Z][a-z]?)(?:([+-])(\d*))?$")

#: Bond vocabulary, fixed: index 0 is "no bond". Datasets built with `aromatic` (the
#: default) keep aromatic bonds as their own type; kekulized ones use the first four.
BOND_NAMES: tuple[str, ...] = ("none", "single", "double", "triple", "aromatic")
KEKULE_BOND_TYPES = 4
BOND_ORDERS = {
    Chem.BondType.SINGLE: 1,
    Chem.BondType.DOUBLE: 2,
    Chem.BondType.TRIPLE: 3,
    Chem.BondType.AROMATIC: 4,
}


def bond_names(aromatic: bool) -> tuple[str, ...]:
    """The bond types of a dataset's graphs, "none" first: with aromatic bonds or kekulized."""
    return BOND_NAMES if aromatic else BOND_NAMES[:KEKULE_BOND_TYPES]


#: What each bond type takes at least from an atom's valence: an aromatic bond is single
#: or double once kekulized (a furan O has two aromatic bonds and valence 2).
BOND_MIN_VALENCE: tuple[int, ...] = (0, 1, 2, 3, 1)
#: Each bond type's order as a critic input (aromatic: 1.5).
BOND_ORDER: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 1.5)
BOND_RDKIT = {index: bond_type for bond_type, index in BOND_ORDERS.items()}


@dataclass(frozen=True, order=True)
class AtomType:
    """A heavy-atom type: element symbol and formal charge, e.g. ``N+`` or ``O-``."""

    symbol: str
    charge: int = 0

    @classmethod
    def parse(cls, text: str) -> "AtomType":
        """Parse ``C``, ``N+``, ``O-``, ``Fe+2``; raise ValueError on anything else."""
        match = _ATOM_TYPE_RE.match(text.strip())
        if not match or _atomic_number(match.group(1)) == 0:
            raise ValueError(f"invalid atom type {text!r} (expected e.g. C, N+, O-, Fe+2)")
        symbol, sign, magnitude = match.groups()
        charge = 0 if sign is None else int(magnitude or 1) * (1 if sign == "+" else -1)
        return cls(symbol, charge)

    @property
    def atomic_number(self) -> int:
        return _atomic_number(self.symbol)

    def __str__(self) -> str:
        if self.charge == 0:
            return self.symbol
        sign = "+" if self.charge > 0 else "-"
        magnitude = abs(self.charge)
        return f"{self.symbol}{sign}{magnitude if magnitude > 1 else ''}"


def _atomic_number(symbol: str) -> int:
    try:
        return _PERIODIC_TABLE.GetAtomicNumber(symbol)
    except RuntimeError:  # RDKit raises for unknown element symbols
        return 0


class AtomVocab:
    """Ordered atom types; index 0 is reserved for "no atom".

    Types are sorted by (atomic number, charge) so a vocabulary built from the same set
    of types is the same whatever order the data came in.
    """

    def __init__(self, atom_types: Iterable[AtomType]):
        unique = sorted(set(atom_types), key=lambda t: (t.atomic_number, t.charge))
        if not unique:
            raise ValueError("an atom vocabulary needs at least one atom type")
        self.types: tuple[AtomType, ...] = tuple(unique)
        self._index = {atom_type: i + 1 for i, atom_type in enumerate(self.types)}

    @classmethod
    def from_strings(cls, names: Sequence[str]) -> "AtomVocab":
        return cls(AtomType.parse(name) for name in names)

    def index(self, atom_type: AtomType) -> int:
        """Index of `atom_type` (>= 1); KeyError if it is not in the vocabulary."""
        return self._index[atom_type]

    def __contains__(self, atom_type: object) -> bool:
        return atom_type in self._index

    def __getitem__(self, index: int) -> AtomType:
        if index < 1:
            raise IndexError("index 0 means 'no atom' and has no type")
        return self.types[index - 1]

    def __len__(self) -> int:
        """Number of classes including the "no atom" class 0."""
        return len(self.types) + 1

    def names(self) -> list[str]:
        return [str(t) for t in self.types]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AtomVocab) and self.types == other.types

    def __hash__(self) -> int:
        return hash(self.types)

    def __repr__(self) -> str:
        return f"AtomVocab([{', '.join(self.names())}])"
