"""SMILES -> standardized graphs for a whole dataset, on all cores, with a progress bar."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Sequence, Union

from tqdm import tqdm

from molgan.mol.chem.graph import MolGraph, NotRepresentable, smiles_to_graph

#: Per molecule: (canonical SMILES, graph), or the reason it was skipped.
Converted = Union[tuple[str, MolGraph], str]

_CHUNK = 5_000
# Below this, starting worker processes costs more than it saves.
_PARALLEL_MIN = 20_000


def _convert_chunk(smiles: Sequence[str], keep_largest_fragment: bool, aromatic: bool) -> list[Converted]:
    out: list[Converted] = []
    for text in smiles:
        try:
            out.append(smiles_to_graph(text, keep_largest_fragment, aromatic))
        except NotRepresentable as exc:
            out.append(str(exc))
    return out


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


def convert_smiles(
    smiles: Sequence[str],
    keep_largest_fragment: bool = True,
    workers: int | None = None,
    progress: bool = True,
    aromatic: bool = False,
) -> list[Converted]:
    """Convert every SMILES; results are in input order whatever the worker count."""
    workers = default_workers() if workers is None else workers
    chunks = [smiles[i : i + _CHUNK] for i in range(0, len(smiles), _CHUNK)]
    job = partial(_convert_chunk, keep_largest_fragment=keep_largest_fragment, aromatic=aromatic)
    bar = tqdm(total=len(smiles), desc="molecules -> graphs", unit="mol",
               disable=None if progress else True, leave=False)
    results: list[Converted] = []
    with bar:
        if workers <= 1 or len(smiles) < _PARALLEL_MIN:
            for chunk in chunks:
                results += job(chunk)
                bar.update(len(chunk))
        else:
            with rdkit_pool(workers) as pool:
                for chunk, converted in zip(chunks, pool.map(job, chunks)):
                    results += converted
                    bar.update(len(chunk))
    return results
