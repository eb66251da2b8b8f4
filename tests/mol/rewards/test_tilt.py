"""The tilted real data of a reward run: rows drawn in proportion to exp(tilt * reward),
rewards of the training molecules recomputed here with RDKit and cached once."""
import math

import pytest
import torch
from rdkit import Chem
from rdkit.Chem import QED

import molgan.mol.rewards.tilt as tilt
from molgan.errors import InputError
from molgan.core.config import merge
from molgan.mol.config import CONDITION_PRESET, REWARD_CHOICE, REWARD_POLICY, MolRLConfig, MolRunConfig


def test_rows_are_drawn_in_proportion_to_the_tilted_weights():
    rewards = torch.tensor([0.0, 1.0] * 5000, dtype=torch.float64)
    rows = tilt.tilted_rows(rewards, math.log(3.0))  # weight 1 for reward 0, 3 for reward 1
    assert len(rows) == len(rewards)
    share = float(rewards[rows].mean())
    assert share == pytest.approx(0.75, abs=0.02)
    assert torch.equal(rows, tilt.tilted_rows(rewards, math.log(3.0)))  # a fixed draw: resumes see it too
    uniform = rewards[tilt.tilted_rows(rewards, 0.0)].mean()
    assert float(uniform) == pytest.approx(0.5, abs=0.02)
    # Kish: 5,000 weights of 1 and 5,000 of 3: 20,000^2 / (5,000 + 45,000) = 8,000
    assert tilt.effective_size(rewards, math.log(3.0)) == pytest.approx(8000, rel=1e-9)


def test_training_rewards_are_the_molecules_rdkit_scores_computed_once(tmp_path, monkeypatch):
    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "CCO", "c1ccncc1", "OCC(O)CO"]
    values = tilt.training_rewards(smiles, "qed,uniqueness", tmp_path, progress=False)
    expected = [QED.qed(Chem.MolFromSmiles(s)) for s in smiles]  # uniqueness does not apply to data
    assert values.tolist() == pytest.approx(expected, abs=1e-12)
    assert (tmp_path / "reward_qed.pt").is_file()

    def fail(*args, **kwargs):
        raise AssertionError("computed again")
    monkeypatch.setattr("molgan.mol.data.convert.map_chunks", fail)
    assert torch.equal(tilt.training_rewards(smiles, "qed", tmp_path, progress=False), values)


def test_tilt_settings_are_checked():
    with pytest.raises(InputError, match="rl.tilt needs an rl.reward"):
        MolRunConfig(rl=MolRLConfig(tilt=20.0))
    with pytest.raises(InputError, match="rl.tilt must be a finite number"):
        MolRLConfig(tilt=-1.0)
    # a tilt is a reward run, with or without the reward network's term
    config = MolRunConfig(rl=MolRLConfig(reward="qed", tilt=20.0, method="critic"))
    assert not config.reward_conditioned and config.settings_preset() == REWARD_CHOICE
    config = MolRunConfig(rl=MolRLConfig(reward="qed", tilt=20.0))  # conditioned on its reward
    assert config.reward_conditioned and config.settings_preset() == merge(CONDITION_PRESET, REWARD_POLICY)
    assert MolRunConfig().settings_preset() == {}


def test_a_tilted_conditioned_run_asks_the_generator_for_the_tilted_properties(data_dir, mols_csv):
    from molgan.mol.config import MolDataConfig, MolModelConfig
    from molgan.mol.task import build_mol_task

    config = MolRunConfig(data=MolDataConfig(dataset=str(mols_csv)), model=MolModelConfig(condition=("qed",)),
                          rl=MolRLConfig(reward="qed", tilt=50.0))
    config.eval.fcd = False
    task = build_mol_task(config, torch.device("cpu"), progress=False)
    uniform, tilted = task.conditions.mean(), task.data.tensors[2].mean()  # normalised QED
    assert tilted > uniform + 0.3  # in standard deviations of the data's QED
    torch.manual_seed(0)
    asked = torch.cat([task.sample_condition(64) for _ in range(50)])
    assert abs(float(asked.mean() - tilted)) < 0.1
