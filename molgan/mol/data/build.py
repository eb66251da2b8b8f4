"""Converted graphs -> a dataset: which rows are kept (and why the others are not), the
atom vocabulary, dense uint8 tensors and the train / valid / test split.

Every step works on whole arrays: the per-row Python work is done once, in conversion.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from molgan.errors import InputError
from molgan.mol.chem.vocab import AtomVocab, bond_names
from molgan.mol.data.convert import ConvertedGraphs
from molgan.mol.data.sources import SmilesRecords

if TYPE_CHECKING:
    from molgan.mol.data.options import MolDataOptions

#: Elements of the default vocabulary (any formal charge found in the data): the organic
#: subset of drug-like chemistry. Others (metals, noble gases, U, ...) need --atom-types.
DEFAULT_ELEMENTS = ("C", "N", "O", "F", "P", "S", "Cl", "Br", "I")
#: A source with its own test split (MOSES) gives this many of its training molecules to
#: the validation split: enough for a stable FCD, a sliver of the training data.
HELD_OUT_VALID = 10_000
#: The cache format: part of every cache's key.
FORMAT_VERSION = 1


@dataclass
class MolDatasetInfo:
    """Contents of `meta.json`: what a processed dataset holds."""

    source: str
    atom_types: list[str]
    max_atoms: int
    num_rows: int
    num_molecules: int
    split_sizes: dict[str, int]
    atom_counts: dict[str, int]
    bond_counts: dict[str, int]
    skipped: int
    skipped_reasons: dict[str, int]
    duplicates: int
    options: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def vocab(self) -> AtomVocab:
        return AtomVocab.from_strings(self.atom_types)

    @property
    def bond_type_count(self) -> int:
        """Bond channels of its graphs, "no bond" included (caches from before aromatic
        bonds existed are kekulized)."""
        return len(bond_names(self.options.get("aromatic", False)))


@dataclass
class GraphBuild:
    info: MolDatasetInfo
    atoms: np.ndarray  # (M, N) uint8
    bonds: np.ndarray  # (M, N, N) uint8
    smiles: list[str]
    split_indices: list[np.ndarray]  # rows of atoms/bonds/smiles in train, valid, test
    skipped: list[dict[str, str]]  # line, smiles, reason (and split, for a source that fixes them)


def build_graphs(records: SmilesRecords, converted: ConvertedGraphs, options: "MolDataOptions") -> GraphBuild:
    """Choose vocabulary and size, encode dense tensors, split; record every skip."""
    rows = len(converted)
    why = list(converted.reasons)
    atom_row = np.repeat(np.arange(rows), converted.atom_counts)
    atom_start = np.concatenate([[0], np.cumsum(converted.atom_counts)[:-1]]).astype(np.int64)

    def row_atoms(r: int) -> np.ndarray:
        return converted.atom_types[atom_start[r]: atom_start[r] + converted.atom_counts[r]]

    if all(why):
        raise InputError(f"{records.source}: no parsable molecule in {len(records)} rows"
                         + (f" (first problem: {_where(records, 0)}: {why[0]})" if rows else ""))
    types = converted.types
    if options.atom_types is None:
        foreign = np.array([t.symbol not in DEFAULT_ELEMENTS for t in types] or [False])
        for r in np.unique(atom_row[foreign[converted.atom_types]]):
            if not why[r]:
                symbols = sorted({types[k].symbol for k in row_atoms(r)} - set(DEFAULT_ELEMENTS))
                why[r] = (f"element {', '.join(symbols)} not in the default set ({' '.join(DEFAULT_ELEMENTS)}); "
                          "--atom-types can add it")
    limit = options.max_atoms
    for r in np.flatnonzero(converted.atom_counts > limit):
        if not why[r]:
            why[r] = f"{converted.atom_counts[r]} heavy atoms, over the limit of {limit}"
    if all(why):
        raise InputError(f"{records.source}: no molecule fits the vocabulary and atom limit in {len(records)} rows "
                         f"(first problem: {_where(records, 0)}: {why[0]})")
    if options.atom_types is not None:
        vocab = AtomVocab.from_strings(options.atom_types)
        outside = np.array([t not in vocab for t in types] or [False])
        for r in np.unique(atom_row[outside[converted.atom_types]]):
            if not why[r]:
                first = next(types[k] for k in row_atoms(r) if types[k] not in vocab)
                why[r] = f"atom type {first} not in the vocabulary"
    kept = np.array([not w for w in why], dtype=bool)
    if not kept.any():
        first = next(r for r in range(rows) if why[r])
        raise InputError(f"{records.source}: no molecule fits the vocabulary and atom limit "
                         f"(first problem: {_where(records, first)}: {why[first]})")
    atom_kept = kept[atom_row]
    if options.atom_types is None:
        vocab = AtomVocab(types[k] for k in np.unique(converted.atom_types[atom_kept]))
    vocab_index = np.array([vocab.index(t) if t in vocab else 0 for t in types], dtype=np.uint8)
    atoms, bonds = _dense(converted, kept, atom_row, atom_start, vocab_index)
    smiles = [s for s, k in zip(converted.smiles, kept) if k]
    split_indices = _split(records, kept, options)

    skipped = [{"line": str(records.lines[r]), "smiles": records.smiles[r], "reason": why[r],
                **({"split": records.splits[r]} if records.splits is not None else {})}
               for r in np.flatnonzero(~kept)]
    atom_counts = np.bincount(atoms.ravel(), minlength=len(vocab))
    names = bond_names(options.aromatic)
    bond_kept = kept[np.repeat(np.arange(rows), converted.bond_counts)]
    bond_counts = np.bincount(converted.bonds[bond_kept, 2], minlength=len(names))
    info = MolDatasetInfo(
        source=records.source,
        atom_types=vocab.names(),
        max_atoms=atoms.shape[1],
        num_rows=len(records),
        num_molecules=len(smiles),
        split_sizes={s: len(i) for s, i in zip(("train", "valid", "test"), split_indices)},
        atom_counts={str(t): int(atom_counts[vocab.index(t)]) for t in vocab.types},
        bond_counts={name: int(bond_counts[i]) for i, name in enumerate(names) if i},
        skipped=len(skipped),
        skipped_reasons=dict(Counter(_reason_kind(s["reason"]) for s in skipped).most_common()),
        duplicates=len(smiles) - len(set(smiles)),
        options=asdict(options),
    )
    return GraphBuild(info, atoms, bonds, smiles, split_indices, skipped)


def _where(records: SmilesRecords, row: int) -> str:
    return f"line {records.lines[row]}" + (f" of {records.splits[row]}" if records.splits is not None else "")


def _dense(converted: ConvertedGraphs, kept: np.ndarray, atom_row: np.ndarray, atom_start: np.ndarray,
           vocab_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, N) atom and (M, N, N) bond index arrays of the kept rows, N = their largest size."""
    position = np.cumsum(kept) - 1  # row -> its index among the kept rows
    count = int(kept.sum())
    size = int(converted.atom_counts[kept].max())
    atom_kept = kept[atom_row]
    slot = np.arange(len(atom_row)) - atom_start[atom_row]  # each atom's number within its row
    atoms = np.zeros((count, size), dtype=np.uint8)
    atoms[position[atom_row[atom_kept]], slot[atom_kept]] = vocab_index[converted.atom_types[atom_kept]]
    bond_row = np.repeat(np.arange(len(kept)), converted.bond_counts)
    bond_kept = kept[bond_row]
    mol = position[bond_row[bond_kept]]
    i, j, order = (converted.bonds[bond_kept, c].astype(np.int64) for c in range(3))
    bonds = np.zeros((count, size, size), dtype=np.uint8)
    bonds[mol, i, j] = order
    bonds[mol, j, i] = order
    return atoms, bonds


def _split(records: SmilesRecords, kept: np.ndarray, options: "MolDataOptions") -> list[np.ndarray]:
    """Indices (among the kept rows) of train, valid and test.

    A source that fixes a test split (`records.splits`) keeps it, and gives HELD_OUT_VALID
    of its training rows (at most a tenth) to the validation split; otherwise the kept rows
    are split by `options.split_fractions`. Either way, a permutation of `split_seed`.
    """
    rng = np.random.default_rng(options.split_seed)
    if records.splits is not None:
        label = np.array([s == "test" for s, k in zip(records.splits, kept) if k])
        test = np.flatnonzero(label)
        train = rng.permutation(np.flatnonzero(~label))
        n_valid = min(HELD_OUT_VALID, len(train) // 10)
        return [np.sort(train[n_valid:]), np.sort(train[:n_valid]), test]
    count = int(kept.sum())
    permutation = rng.permutation(count)
    n_train = int(round(options.split_fractions[0] * count))
    n_valid = int(round(options.split_fractions[1] * count))
    return [np.sort(part) for part in np.split(permutation, [n_train, min(n_train + n_valid, count)])]


def _reason_kind(reason: str) -> str:
    # "12 heavy atoms, over the limit of 9" and "atom type Se ..." group by their kind.
    if "over the limit" in reason:
        return "too many heavy atoms"
    if reason.startswith("atom type"):
        return "atom type not in the vocabulary"
    if reason.startswith("element"):
        return "element not in the default set"
    return reason
