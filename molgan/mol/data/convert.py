"""SMILES -> standardized graphs for a whole dataset, on all cores, with a progress bar.

Graphs come back in compact arrays rather than one Python object per molecule: MOSES'
1.76 million molecules as `MolGraph` tuples would take several GB, as arrays about 100 MB.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import numpy as np
from tqdm import tqdm

from molgan.core.atomic import atomic_write
from molgan.mol.chem.graph import MolGraph, NotRepresentable, smiles_to_graph
from molgan.mol.chem.vocab import AtomType

log = logging.getLogger(__name__)
T = TypeVar("T")
_CHUNK = 5_000
# Below this, starting worker processes costs more than it saves.
_PARALLEL_MIN = 20_000


@dataclass
class ConvertedGraphs:
    """Per input row: its canonical SMILES and graph, or the reason it was skipped.

    Rows' atoms and bonds are concatenated in row order: row r owns `atom_counts[r]`
    atoms (indices into `types`) and `bond_counts[r]` bonds (atom i, atom j, bond index,
    atoms numbered within the row); a skipped row owns none.
    """

    smiles: list[str] = field(default_factory=list)  # "" where skipped
    reasons: list[str] = field(default_factory=list)  # "" where converted
    types: list[AtomType] = field(default_factory=list)
    atom_types: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    atom_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    bonds: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int16))
    bond_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def __len__(self) -> int:
        return len(self.smiles)

    @classmethod
    def from_graphs(cls, results: Sequence[tuple[str, MolGraph] | str]) -> "ConvertedGraphs":
        """From per-row (canonical SMILES, graph) or reason strings."""
        out = cls()
        table: dict[AtomType, int] = {}
        atom_types: list[int] = []
        bonds: list[tuple[int, int, int]] = []
        atom_counts, bond_counts = [], []
        for result in results:
            if isinstance(result, str):
                out.smiles.append("")
                out.reasons.append(result)
                atom_counts.append(0)
                bond_counts.append(0)
                continue
            smiles, graph = result
            out.smiles.append(smiles)
            out.reasons.append("")
            atom_types += [table.setdefault(t, len(table)) for t in graph.atoms]
            bonds += graph.bonds
            atom_counts.append(len(graph.atoms))
            bond_counts.append(len(graph.bonds))
        out.types = list(table)
        out.atom_types = np.asarray(atom_types, dtype=np.int16)
        out.atom_counts = np.asarray(atom_counts, dtype=np.int32)
        out.bonds = np.asarray(bonds, dtype=np.int16).reshape(-1, 3)
        out.bond_counts = np.asarray(bond_counts, dtype=np.int32)
        return out

    @classmethod
    def concatenate(cls, parts: Sequence["ConvertedGraphs"]) -> "ConvertedGraphs":
        out = cls()
        table: dict[AtomType, int] = {}
        atom_types = []
        for part in parts:
            out.smiles += part.smiles
            out.reasons += part.reasons
            remap = np.array([table.setdefault(t, len(table)) for t in part.types] or [0], dtype=np.int16)
            atom_types.append(remap[part.atom_types])
        out.types = list(table)
        if parts:
            out.atom_types = np.concatenate(atom_types)
            out.atom_counts = np.concatenate([p.atom_counts for p in parts])
            out.bonds = np.concatenate([p.bonds for p in parts])
            out.bond_counts = np.concatenate([p.bond_counts for p in parts])
        return out

    def graph(self, row: int) -> MolGraph | None:
        """Row `row` as a `MolGraph` (None if it was skipped); for tests and small work."""
        if self.reasons[row]:
            return None
        a0, b0 = int(self.atom_counts[:row].sum()), int(self.bond_counts[:row].sum())
        atoms = tuple(self.types[k] for k in self.atom_types[a0: a0 + self.atom_counts[row]])
        bonds = tuple(tuple(int(v) for v in b) for b in self.bonds[b0: b0 + self.bond_counts[row]])
        return MolGraph(atoms, bonds)


def _convert_chunk(smiles: Sequence[str], keep_largest_fragment: bool, aromatic: bool) -> ConvertedGraphs:
    results: list[tuple[str, MolGraph] | str] = []
    for text in smiles:
        try:
            results.append(smiles_to_graph(text, keep_largest_fragment, aromatic))
        except NotRepresentable as exc:
            results.append(str(exc))
    return ConvertedGraphs.from_graphs(results)


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def rdkit_pool(workers: int, initializer=None) -> ProcessPoolExecutor:
    """Worker processes for RDKit work (and single-threaded torch inference).

    fork: workers need no re-import, and library users need no __main__ guard. Workers
    that run torch must set one thread first (`initializer`).
    """
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork" if "fork" in methods else None),
                               initializer=initializer)


def map_chunks(job: Callable[[Sequence], T], items: Sequence, chunk_size: int, workers: int,
               desc: str, progress: bool = True) -> list[T]:
    """`job` of each `chunk_size` slice of `items`, in order, on `workers` processes (in this
    one when there are fewer items than `_PARALLEL_MIN`), with a progress bar."""
    chunks = [items[i: i + chunk_size] for i in range(0, len(items), chunk_size)]
    parts: list[T] = []
    with tqdm(total=len(items), desc=desc, unit="mol", disable=None if progress else True, leave=False) as bar:
        if workers <= 1 or len(items) < _PARALLEL_MIN:
            for chunk in chunks:
                parts.append(job(chunk))
                bar.update(len(chunk))
        else:
            with rdkit_pool(workers) as pool:
                for chunk, result in zip(chunks, pool.map(job, chunks)):
                    parts.append(result)
                    bar.update(len(chunk))
    return parts


def cached_values(path: str | os.PathLike, smiles: Sequence[str], job: Callable[[Sequence[str]], list[float]],
                  desc: str, progress: bool = True):
    """(len(smiles),) float64 tensor of `job`'s per-molecule values of a dataset's SMILES,
    computed once on up to 2 processes (with a progress bar) and cached at `path`; a cache of
    another length is computed again."""
    import torch

    path = Path(path)
    cached = torch.load(path, weights_only=True) if path.is_file() else None
    if cached is None or len(cached) != len(smiles):
        log.info("computing %s of %d training molecules (once; cached in %s)", desc, len(smiles), path)
        workers = min(2, len(os.sched_getaffinity(0)))
        parts = map_chunks(job, list(smiles), 2000, workers, desc=desc, progress=progress)
        cached = torch.tensor([value for part in parts for value in part], dtype=torch.float64)
        with atomic_write(path, "wb") as handle:
            torch.save(cached, handle)
    return cached


def convert_smiles(
    smiles: Sequence[str],
    keep_largest_fragment: bool = True,
    workers: int | None = None,
    progress: bool = True,
    aromatic: bool = False,
) -> ConvertedGraphs:
    """Convert every SMILES; results are in input order whatever the worker count."""
    job = partial(_convert_chunk, keep_largest_fragment=keep_largest_fragment, aromatic=aromatic)
    workers = default_workers() if workers is None else workers
    return ConvertedGraphs.concatenate(map_chunks(job, smiles, _CHUNK, workers, "molecules -> graphs", progress))
