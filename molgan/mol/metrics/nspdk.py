"""NSPDK MMD: the graph-kernel distance between two molecule sets used by GDSS and its
successors on QM9 and ZINC250k (lower is closer).

Each molecule becomes a graph with atom symbols as node labels and integer bond orders as
edge labels (aromatic 1.5 -> 1, as in that protocol); the neighbourhood subgraph pairwise
distance kernel's feature vectors come from the `eden-kernel` package (complexity 4,
discrete labels, unit-normalised). With a linear kernel on those vectors, the squared MMD
mean(K_XX) + mean(K_YY) - 2 mean(K_XY) is ||mean(x) - mean(y)||^2.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np


def _graphs(smiles: Iterable[str]) -> list:
    import networkx as nx
    from rdkit import Chem

    graphs = []
    for text in smiles:
        mol = Chem.MolFromSmiles(text) if text else None
        if mol is None or mol.GetNumAtoms() == 0:
            continue
        graph = nx.Graph()
        for atom in mol.GetAtoms():
            graph.add_node(atom.GetIdx(), label=atom.GetSymbol())
        for bond in mol.GetBonds():
            graph.add_edge(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), label=int(bond.GetBondTypeAsDouble()))
        graphs.append(graph)
    return graphs


def nspdk_features(smiles: Iterable[str]):
    """Sparse (M, D) NSPDK feature vectors of the valid molecules among `smiles`."""
    try:
        from eden.graph import vectorize
    except ImportError:
        raise ImportError("NSPDK needs the eden-kernel package: pip install -e '.[nspdk]'") from None
    graphs = _graphs(smiles)
    if not graphs:
        raise ValueError("NSPDK MMD needs at least one valid molecule in each set")
    return vectorize(graphs, complexity=4, discrete=True)


def nspdk_mean(smiles: Iterable[str]) -> np.ndarray:
    """The mean NSPDK feature vector of the valid molecules among `smiles` (a reference
    set's can be computed once and passed to `nspdk_mmd`)."""
    return np.asarray(nspdk_features(smiles).mean(axis=0)).ravel()


def nspdk_mmd(generated: Iterable[str], reference: Iterable[str] | np.ndarray) -> float:
    """Squared NSPDK MMD between the valid molecules of two SMILES sets (or a generated set
    and a reference set's `nspdk_mean`)."""
    x = nspdk_mean(generated)
    y = reference if isinstance(reference, np.ndarray) else nspdk_mean(reference)
    width = max(len(x), len(y))
    difference = np.pad(x, (0, width - len(x))) - np.pad(y, (0, width - len(y)))
    return float(difference @ difference)
