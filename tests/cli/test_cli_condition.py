"""Property conditioning end to end: a tiny run conditioned on molecular weight makes heavier
molecules when asked for a heavier one (weights recomputed here with RDKit), and records
what `molgan sample --condition` needs."""
import csv
import re

import pytest
from conftest import run_cli, straight_and_resumed
from helpers import TINY_MOL
from rdkit import Chem
from rdkit.Chem import Descriptors

from molgan.core.checkpoint import load_checkpoint
from molgan.errors import InputError

import molgan

# A generator that can move in 400 steps: a faster rate, no EMA copy, a narrower model.
STEERABLE = ["--set", "lr_g=3e-3", "--set", "ema_decay=0", "--set", "transformer_dim=64", "--set", "pair_dim=32",
             "--set", "transformer_layers=2", "--set", "eval_every=400", "--set", "checkpoint_every=400",
             "--set", "fcd=false", "--set", 'best_metric="validity"']


def _weights(path):
    rows = [r for r in csv.DictReader(path.open()) if r["valid"] == "1"]
    assert len(rows) > 50
    weights = [Descriptors.MolWt(Chem.MolFromSmiles(r["smiles"])) for r in rows]
    assert all(abs(w - float(r["mw"])) < 1e-3 for w, r in zip(weights, rows))
    return sum(weights) / len(weights)


def test_samples_follow_the_condition(tmp_path, capsys, data_dir, mols_csv):
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 400, *TINY_MOL,
                           *STEERABLE, "--set", "condition=mw")
    assert code == 0, err
    assert "conditioned on mw (27 to 92.1)" in err  # HCN to glycerol
    import tomllib

    config = tomllib.loads((run / "config.toml").read_text())  # the conditioned preset, under --set
    assert config["model"]["generator"] == "autoregressive" and config["data"]["aromatic"] is False
    assert config["model"]["condition_weight"] == 0 and config["train"]["likelihood_steps"] == 8000
    # Says what trains, and nothing else: no critic is built, evaluated, logged or saved, and
    # config.toml marks the settings this run does not read.
    assert "the autoregressive generator, conditioned on mw; 400 likelihood steps; no critic" in err
    header = set((run / "metrics.csv").read_text().splitlines()[0].split(","))
    assert "g/nll" in header and not {k for k in header if k.startswith(("g_grad/", "diag/critic", "d/"))}, header
    state = load_checkpoint(run / "checkpoints" / "step-0000400.pt")
    assert state["discriminator"] is None and state["opt_d"] is None
    marked = (run / "config.toml").read_text().split("\n[")[0].replace("\n# ", " ")
    for name in ("train.n_critic", "train.lr_d", "model.conv_dims", "model.ring_feature", "model.latent_dim",
                 "train.policy_lr", "rl.repeat_price"):
        assert name in marked, name
    assert "train.lr_g" not in marked and "model.transformer_dim" not in marked
    light, heavy = tmp_path / "light.csv", tmp_path / "heavy.csv"
    assert run_cli(capsys, "sample", run, "-n", 200, "-o", light, "--condition", "mw=30", "--seed", 1)[0] == 0
    code, _, err = run_cli(capsys, "sample", run, "-n", 200, "-o", heavy, "--condition", "mw=90", "--seed", 1)
    assert code == 0, err
    assert _weights(heavy) > _weights(light) + 20
    said = re.search(r"mw of the valid molecules: mean ([0-9.]+) \(asked for 90\)", err)
    assert said and abs(float(said.group(1)) - _weights(heavy)) < 0.01, err
    generator = molgan.load(run)
    assert generator.condition == ("mw",)
    frame = generator.sample(100, seed=1, condition="mw=90")
    assert frame.mw[frame.valid == 1].mean() > 60


def test_a_reward_run_is_conditioned_on_its_reward_and_asks_for_a_high_one(tmp_path, capsys, data_dir, mols_csv):
    import numpy as np
    import tomllib

    from helpers import MOLECULES
    from rdkit.Chem import Crippen

    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 400, *TINY_MOL,
                           *STEERABLE, "--set", "reward=logp", "--set", "rl.aim=0.9")
    assert code == 0, err
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["model"]["generator"] == "autoregressive" and config["train"]["likelihood_steps"] == 8000
    assert config["train"]["policy_steps"] == 1200  # after the likelihood steps (none in these 400 steps)
    assert "reward" in (run / "metrics.csv").read_text().splitlines()[0].split(",")
    task = load_checkpoint(run / "checkpoints" / "step-0000400.pt")["task"]
    assert task["reward_aim"] == 0.9 and task["condition"]["names"] == ["reward"]
    # The rewards: logP mapped to 0..1 over MolGAN's range, recomputed here, of the file's molecules.
    logp = np.array([Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in MOLECULES])
    rewards = np.clip((logp + 2.12178879609) / (6.0429063424 + 2.12178879609), 0, 1)
    high, low = tmp_path / "high.csv", tmp_path / "low.csv"
    code, _, err = run_cli(capsys, "sample", run, "-n", 200, "-o", high, "--seed", 1)  # the top tenth
    assert code == 0, err
    assert re.search(r"reward logp of the valid molecules: mean [0-9.]+ \(asked for the training molecules' top 10 %\)",
                     err), err
    low_reward = float(np.quantile(rewards, 0.1))
    assert run_cli(capsys, "sample", run, "-n", 200, "-o", low, "--seed", 1, "--condition",
                   f"reward={low_reward}")[0] == 0

    def mean_logp(path):
        rows = [r for r in csv.DictReader(path.open()) if r["valid"] == "1"]
        assert len(rows) > 50
        return sum(Crippen.MolLogP(Chem.MolFromSmiles(r["smiles"])) for r in rows) / len(rows)

    assert mean_logp(high) > mean_logp(low) + 0.5
    code, _, err = run_cli(capsys, "sample", run, "-n", 5, "-o", low, "--condition", "qed=0.5")
    assert code == 2 and "conditioned on reward only" in err


def test_conditioned_and_reward_runs_choose_best_by_what_they_aim_at(tmp_path, capsys, data_dir, mols_csv):
    import tomllib

    def trained_config(name, *sets):
        run = tmp_path / name
        code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 2,
                               *TINY_MOL[:-4], *sets)
        assert code == 0, err
        return tomllib.loads((run / "config.toml").read_text())["train"], (run / "metrics.csv").read_text()

    train, metrics = trained_config("cond", "--set", "condition=qed", "--set", "condition_pretrain_steps=5")
    assert (train["best_metric"], train["best_mode"], train["best_requires"]) == \
        ("condition_error", "min", "unique@10000>=0.9")
    assert "condition_error" in metrics.splitlines()[0]
    train, metrics = trained_config("reward", "--set", "adversarial_weight=0.5", "--set", "reward=qed")
    assert (train["best_metric"], train["best_mode"], train["best_requires"]) == ("reward", "max", "unique@10000>=0.9")
    assert "reward" in metrics.splitlines()[0].split(",")
    # --set still has the last word
    train, _ = trained_config("mine", "--set", "condition=qed", "--set", "condition_pretrain_steps=5",
                              "--set", "best_metric=fcd", "--set", 'best_requires=""')
    assert (train["best_metric"], train["best_requires"]) == ("fcd", "")


def test_a_tilted_reward_run_learns_from_higher_reward_molecules(tmp_path, capsys, data_dir, mols_csv):
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 2, *TINY_MOL[:-4],
                           "--set", "reward=qed", "--set", "rl.tilt=50")
    assert code == 0, err
    said = re.search(r"exp\(50 \* reward\): mean reward ([0-9.]+) -> ([0-9.]+)", err)
    assert said, err
    from helpers import MOLECULES
    from rdkit.Chem import QED

    data_mean = sum(QED.qed(Chem.MolFromSmiles(s)) for s in MOLECULES) / len(MOLECULES)
    before, after = float(said.group(1)), float(said.group(2))
    assert before == pytest.approx(data_mean, abs=0.02)  # the training split of the file
    assert after > before + 0.04
    import tomllib

    assert tomllib.loads((run / "config.toml").read_text())["train"]["best_metric"] == "reward"


# The preset (the autoregressive generator, by likelihood) and MolGAN's generator steered by a
# property regressor through the critic.
MLP_REGRESSOR = ["--set", "generator=mlp", "--set", "aromatic=true", "--set", "likelihood_steps=0",
                 "--set", "condition_weight=1", "--set", "condition_pretrain_steps=20"]


@pytest.mark.parametrize("model", [[], MLP_REGRESSOR], ids=["autoregressive", "mlp-regressor"])
def test_a_conditioned_run_resumes_bit_exact(tmp_path, capsys, data_dir, mols_csv, model):
    import torch

    # A constant rate: a run stopped at step 3 and resumed to 6 has the schedule of one run to 6.
    settings = [*TINY_MOL, "--set", "condition=qed,logp", "--set", "lr_schedule=constant",
                "--set", "checkpoint_every=3", "--set", "eval_every=3", "--set", "transformer_dim=32",
                "--set", "pair_dim=16", *model]
    a, b = straight_and_resumed(capsys, tmp_path, mols_csv, settings, 3, 6)
    assert a["config"]["model"]["generator"] == ("mlp" if model else "autoregressive")
    for name in a["generator"]:
        assert torch.equal(a["generator"][name], b["generator"][name]), name
    if model:
        regressor_a, regressor_b = a["objectives"]["condition"]["net"], b["objectives"]["condition"]["net"]
        assert all(torch.equal(regressor_a[k], regressor_b[k]) for k in regressor_a)
    else:
        assert "condition" not in a["objectives"]  # each molecule is trained with its own values


def test_a_dataset_with_a_preset_keeps_it_when_conditioned():
    from molgan.mol.config import CONDITION_PRESET, MolDataConfig, MolModelConfig, MolRLConfig, MolRunConfig

    moses = MolRunConfig(data=MolDataConfig(dataset="moses"), model=MolModelConfig(condition=("qed",)))
    assert moses.settings_preset() == {"model": {"condition_weight": 0.0}, "train": {
        "best_metric": "condition_error", "best_requires": "unique@10000>=0.9"}}
    qm9 = MolRunConfig(data=MolDataConfig(dataset="qm9"), model=MolModelConfig(condition=("qed",)))
    assert qm9.settings_preset() == CONDITION_PRESET
    # A reward run on MOSES would stop at conditioning (no time for policy steps): refused.
    rewarded = MolRunConfig(data=MolDataConfig(dataset="moses"), rl=MolRLConfig(reward="qed"))
    with pytest.raises(InputError, match="no room for the policy steps"):
        rewarded.settings_preset()
