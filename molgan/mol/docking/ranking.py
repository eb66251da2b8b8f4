"""Which docked molecules count: distinct, drug-like (QED >= 0.5, SA <= 4, no PAINS alert),
best scores first; and how diverse a set of them is (MOSES' IntDiv)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

# A hit must also be a plausible drug: the thresholds of the benchmark (docs/docking.md),
# shared with the `druglike` reward that asks for them.
from molgan.mol.rewards.functions import QED_MIN, SA_MAX


def ranked(smiles: Sequence[str], scores: Sequence[float]) -> pd.DataFrame:
    """One row per distinct molecule with a score, best (lowest) first: smiles, score, qed,
    sa (1 easy .. 10 hard), pains (the first alert, "" = none) and drug_like."""
    from molgan.mol.metrics.profiles import profile_molecules

    frame = pd.DataFrame({"smiles": list(smiles), "score": np.asarray(scores, dtype=float)})
    frame = frame[frame.score.notna()].sort_values("score", kind="stable").drop_duplicates("smiles")
    profiles = profile_molecules(frame.smiles.tolist())
    frame["qed"] = profiles.properties[:, 0] if len(frame) else []
    frame["sa"] = profiles.properties[:, 2] if len(frame) else []
    frame["pains"] = [m.pains for m in profiles.medchem]
    frame["drug_like"] = (frame.qed >= QED_MIN) & (frame.sa <= SA_MAX) & (frame.pains == "")
    return frame.reset_index(drop=True)


def internal_diversity(smiles: Sequence[str]) -> float:
    """MOSES' IntDiv: 1 - mean Tanimoto similarity over all pairs (Morgan radius 2, 1,024 bits)."""
    from molgan.mol.metrics.profiles import FP_BITS, profile_molecules
    from molgan.mol.metrics.similarity import BitSets, tanimoto_reduce

    if len(smiles) < 2:
        return float("nan")
    bits = BitSets.from_lists(profile_molecules(list(smiles)).fingerprints, FP_BITS)
    return 1.0 - float(np.mean(tanimoto_reduce(bits, bits, "mean")))
