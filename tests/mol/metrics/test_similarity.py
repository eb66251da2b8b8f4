"""Tanimoto reductions against a brute-force computation on sets of bits."""
import numpy as np
import pytest

from molgan.mol.metrics.similarity import BitSets, tanimoto_reduce


def _random_sets(rng, count: int, num_bits: int, sizes=(0, 60)) -> list[np.ndarray]:
    return [np.sort(rng.choice(num_bits, rng.integers(*sizes), replace=False)) for _ in range(count)]


def _brute(query, table):
    out = np.zeros((len(query), len(table)))
    for i, a in enumerate(query):
        for j, b in enumerate(table):
            union = len(np.union1d(a, b))
            out[i, j] = len(np.intersect1d(a, b)) / union if union else 0.0
    return out


@pytest.mark.parametrize("sizes", [(0, 60), (250, 400)])  # bfloat16 sums; float32 sums (over 256 bits)
def test_reductions_match_brute_force(sizes):
    rng = np.random.default_rng(0)
    num_bits = 512
    query = _random_sets(rng, 37, num_bits, sizes) + [np.zeros(0, dtype=np.int64)]
    table = _random_sets(rng, 53, num_bits, sizes) + [np.zeros(0, dtype=np.int64)]
    expected = _brute(query, table)
    q, t = BitSets.from_lists(query, num_bits), BitSets.from_lists(table, num_bits)
    # small blocks: the blocked loops and their edges are exercised
    kwargs = dict(block=16, table_block=8)
    np.testing.assert_allclose(tanimoto_reduce(q, t, "max", **kwargs), expected.max(axis=1), rtol=1e-6)
    weights = rng.integers(1, 4, len(table))
    np.testing.assert_allclose(tanimoto_reduce(q, t, "mean", table_weights=weights, **kwargs),
                               expected @ weights / weights.sum(), rtol=1e-5)
    np.testing.assert_allclose(tanimoto_reduce(q, t, "mean", power=2, **kwargs),
                               (expected ** 2).mean(axis=1), rtol=1e-5)
    both = tanimoto_reduce(q, t, "mean", table_weights=weights, power=(1, 2), **kwargs)
    np.testing.assert_allclose(both, [expected @ weights / weights.sum(), expected ** 2 @ weights / weights.sum()],
                               rtol=1e-5)
    self_similarity = _brute(query, query)
    np.fill_diagonal(self_similarity, 0.0)
    np.testing.assert_allclose(tanimoto_reduce(q, q, "max", exclude_self=True, **kwargs),
                               self_similarity.max(axis=1), rtol=1e-6)
    assert tanimoto_reduce(q, t, "max")[-1] == 0.0  # an empty fingerprint is like nothing
