import numpy as np
import pytest

pytest.importorskip("eden.graph", reason="NSPDK needs the eden-kernel package (the test extra installs it)")

from molgan.mol.metrics.nspdk import nspdk_features, nspdk_mmd  # noqa: E402

ALKANES = ["CCC", "CCCC", "CC(C)C", "CCCCC", "CC(C)CC"]
AROMATICS = ["c1ccccc1", "c1ccncc1", "c1ccoc1", "Cc1ccccc1", "c1cc[nH]c1"]


def test_nspdk_mmd_is_the_kernel_mean_formula():
    x, y = nspdk_features(ALKANES).toarray(), nspdk_features(AROMATICS).toarray()
    width = max(x.shape[1], y.shape[1])
    x, y = np.pad(x, ((0, 0), (0, width - x.shape[1]))), np.pad(y, ((0, 0), (0, width - y.shape[1])))
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0)  # unit-normalised features
    expected = (x @ x.T).mean() + (y @ y.T).mean() - 2 * (x @ y.T).mean()
    assert nspdk_mmd(ALKANES, AROMATICS) == pytest.approx(expected, rel=1e-9)


def test_nspdk_mmd_orders_sets_by_similarity():
    assert nspdk_mmd(ALKANES, list(reversed(ALKANES))) == pytest.approx(0.0, abs=1e-12)
    near = nspdk_mmd(ALKANES[:3], ALKANES[2:])
    far = nspdk_mmd(ALKANES, AROMATICS)
    assert 0 < near < far
    assert nspdk_mmd(ALKANES + ["not a smiles", ""], AROMATICS) == pytest.approx(far)  # invalid rows skipped
    with pytest.raises(ValueError, match="at least one valid molecule"):
        nspdk_mmd(["xx"], AROMATICS)
