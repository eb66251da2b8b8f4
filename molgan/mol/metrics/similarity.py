"""Tanimoto similarities between fingerprint sets, fast and exact.

Fingerprints are kept as on-bit lists. The intersection counts of a block of query
molecules with every table molecule come from one `embedding_bag` (sum of the table's
bit columns named by each query's on-bits): exact integer counts, and work proportional
to the on-bits (a few dozen per molecule) rather than to all 1,024 or 4,096 bit columns
as a dense matmul would be.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class BitSets:
    """On-bits of n fingerprints of `num_bits` bits: flat indices, start offsets, bit counts."""

    indices: np.ndarray  # (nnz,) int64
    offsets: np.ndarray  # (n,) int64
    counts: np.ndarray  # (n,) int64
    num_bits: int

    @classmethod
    def from_lists(cls, bits: Sequence[Sequence[int]], num_bits: int) -> "BitSets":
        counts = np.array([len(b) for b in bits], dtype=np.int64)
        indices = (np.concatenate([np.asarray(b, dtype=np.int64) for b in bits])
                   if counts.sum() else np.zeros(0, dtype=np.int64))
        return cls.from_counts(indices, counts, num_bits)

    @classmethod
    def from_counts(cls, indices: np.ndarray, counts: np.ndarray, num_bits: int) -> "BitSets":
        """From the flat on-bits and the number of them per fingerprint."""
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(counts) else counts
        return cls(indices, offsets, counts, num_bits)

    def __len__(self) -> int:
        return len(self.counts)

    def row(self, i: int) -> np.ndarray:
        return self.indices[self.offsets[i]: self.offsets[i] + self.counts[i]]

    def dense_transposed(self, start: int, stop: int) -> torch.Tensor:
        """(num_bits, stop - start) 0/1 matrix of rows start..stop."""
        out = torch.zeros(self.num_bits, stop - start)
        rows = np.repeat(np.arange(stop - start), self.counts[start:stop])
        first, last = self.offsets[start], self.offsets[stop - 1] + self.counts[stop - 1]
        out[torch.from_numpy(self.indices[first:last]), torch.from_numpy(rows)] = 1.0
        return out


#: bfloat16 holds every integer up to this one exactly.
_BF16_EXACT = 256


def tanimoto_reduce(query: BitSets, table: BitSets, reduce: Literal["max", "mean"],
                    table_weights: np.ndarray | None = None, exclude_self: bool = False,
                    block: int = 1024, table_block: int = 1024, power: int | tuple[int, ...] = 1) -> np.ndarray:
    """Per query molecule: max, or (weighted) mean, of its Tanimoto similarity to the table
    (the mean of its `power`-th power, for MOSES' IntDiv2; a tuple of powers gives one row
    of means per power, from one pass).

    `exclude_self` (query is table) leaves each molecule's similarity to itself out of
    the max, as GuacaMol's nearest-neighbour similarity does. Empty fingerprints have
    similarity 0 to everything. Blocks of 1,024 table molecules keep the summed columns
    (4 MB) in cache: 3x faster than blocks of 8,192 against MOSES' test split. The columns are
    bfloat16 when no fingerprint has more than 256 bits: the intersection counts are still
    exact (integers up to 256 are), and summed at twice the speed.
    """
    if query.num_bits != table.num_bits:
        raise ValueError("fingerprints of different lengths")
    n, m = len(query), len(table)
    weights = torch.ones(m) if table_weights is None else torch.as_tensor(table_weights, dtype=torch.float32)
    powers = (power,) if isinstance(power, int) else tuple(power)
    best = torch.zeros(n) if reduce == "max" else torch.zeros(len(powers), n, dtype=torch.float64)
    # An empty table fingerprint counts 1 in the union (its intersections are 0): no 0 / 0.
    table_counts = torch.from_numpy(np.maximum(table.counts, 1)).float()
    exact_bf16 = max(query.counts.max(initial=0), table.counts.max(initial=0)) <= _BF16_EXACT
    indices, offsets = torch.from_numpy(query.indices), torch.from_numpy(query.offsets)
    for t0 in range(0, m, table_block):
        t1 = min(m, t0 + table_block)
        columns = table.dense_transposed(t0, t1)
        columns = columns.bfloat16() if exact_bf16 else columns
        for q0 in range(0, n, block):
            q1 = min(n, q0 + block)
            first = int(offsets[q0])
            last = int(offsets[q1 - 1] + query.counts[q1 - 1])
            inter = F.embedding_bag(indices[first:last], columns, offsets[q0:q1] - first, mode="sum").float()
            # in place: these blocks are the evaluation's largest arrays
            union = torch.add(torch.from_numpy(query.counts[q0:q1]).float()[:, None], table_counts[None, t0:t1])
            sim = inter.div_(union.sub_(inter))
            if exclude_self and max(q0, t0) < min(q1, t1):
                diagonal = torch.arange(max(q0, t0), min(q1, t1))
                sim[diagonal - q0, diagonal - t0] = 0.0
            if reduce == "max":
                best[q0:q1] = torch.maximum(best[q0:q1], sim.amax(dim=1))  # amax: no indices, 20x faster
            else:
                for row, p in enumerate(powers):
                    best[row, q0:q1] += ((sim if p == 1 else sim.pow(p)) @ weights[t0:t1]).double()
    if reduce == "mean":
        best /= float(weights.sum())
        best = best[0] if isinstance(power, int) else best
    return best.numpy().astype(np.float64)


def cosine_similarity(a: dict[str, int], b: dict[str, int]) -> float:
    if not a or not b:
        return float("nan")
    dot = sum(count * b.get(key, 0) for key, count in a.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def weighted_counts(items: Sequence[Iterable[str | None]], weights: np.ndarray) -> dict[str, int]:
    total: Counter = Counter()
    for values, weight in zip(items, weights):
        for value in values:
            if value is not None:
                total[value] += int(weight)
    return dict(total)
