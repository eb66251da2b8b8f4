import numpy as np
import pytest

from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.rewards.functions import RewardFunction, druglike, filters, logp, qed, sa, uniqueness, validity

N, T, E = 9, 6, 4


VOCAB = AtomVocab.from_strings(["C", "N", "O", "F", "N+", "O-"])


def test_rewards_on_known_molecules():
    from rdkit import Chem

    aspirin = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    mols = [aspirin, None, Chem.MolFromSmiles("CCO")]
    assert qed(mols)[0] == pytest.approx(0.55, abs=0.01)
    for reward in (validity, qed, logp, sa):
        values = reward(mols)
        assert values[1] == 0.0 and ((values >= 0) & (values <= 1)).all()
    assert uniqueness([aspirin, aspirin, None]).tolist() == [0.5, 0.5, 0.0]


def test_druglike_is_one_within_a_hits_bounds_and_ramps_to_zero_outside():
    from rdkit import Chem
    from rdkit.Contrib.SA_Score import sascorer

    # aspirin (QED 0.55, SA 1.6) is within; methane (QED 0.36) is not; ethanol's QED of 0.407
    # is 0.07 of the way up the ramp from 0.4 to 0.5; the steroid's QED of 0.71 is within, its
    # SA of 4.01 just past the bound of 4 (0.98 of the way down from 4 to 4.5)
    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "C", "CCO", "CC12CCC3C(CCC4CC(O)CCC34C)C1CCC2O"]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    score = sascorer.calculateScore(mols[3])
    expected = [1.0, 0.0, (qed(mols[2:3])[0] - 0.4) / 0.1, min(1.0, (4.5 - score) / 0.5)]
    assert druglike(mols) == pytest.approx(expected)
    assert druglike([None]).tolist() == [0.0]
    assert RewardFunction("druglike")(["CC(=O)Oc1ccccc1C(=O)O", None]).tolist() == [1.0, 0.0]


def test_the_filters_reward_is_moses_filters():
    from rdkit import Chem

    # benzamide passes; an aldehyde (MCF7), a CH2 halide (MCF4), a cyclooctane ring (over 7
    # atoms) and a charged atom do not, nor does an invalid molecule
    smiles = ["NC(=O)c1ccccc1", "O=CCc1ccccc1", "ClCc1ccccc1", "C1CCCCCCC1", "C[N+](C)(C)C"]
    mols = [Chem.MolFromSmiles(s) for s in smiles] + [None]
    assert filters(mols).tolist() == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert RewardFunction("filters")(["NC(=O)c1ccccc1", None]).tolist() == [1.0, 0.0]


def test_reward_function_products_novelty_and_cache():
    reward = RewardFunction("qed,novelty", known_smiles=["CCO"])
    values = reward(["CCO", "CC(=O)Oc1ccccc1C(=O)O", None])
    assert values[0] == 0.0 and values[1] == pytest.approx(0.55, abs=0.01) and values[2] == 0.0
    assert len(reward._cache) == 2
    with pytest.raises(ValueError, match="unknown reward 'potency'"):
        RewardFunction("qed,potency")
    assert np.allclose(RewardFunction("validity,uniqueness")(["C", "C", None]), [0.5, 0.5, 0.0])
