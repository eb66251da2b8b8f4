"""Policy steps end to end: after the likelihood steps, a reward run's generator climbs its
reward on its own samples (logP recomputed here with RDKit), resumes bit-exact, and refuses
settings it cannot run."""
import csv

import pytest
from rdkit import Chem
from rdkit.Chem import Crippen

from conftest import run_cli, straight_and_resumed
from helpers import TINY_MOL

# A generator that can move in a few hundred steps: a faster rate, no EMA copy, a narrower model.
SMALL_AR = ["--set", "lr_g=3e-3", "--set", "ema_decay=0", "--set", "transformer_dim=64", "--set", "pair_dim=32",
            "--set", "transformer_layers=2", "--set", "fcd=false", "--set", 'best_metric="validity"']


def _mean_logp(path):
    rows = [r for r in csv.DictReader(path.open()) if r["valid"] == "1"]
    assert len(rows) > 100
    return sum(Crippen.MolLogP(Chem.MolFromSmiles(r["smiles"])) for r in rows) / len(rows)


def test_policy_steps_raise_the_reward_of_the_samples(tmp_path, capsys, data_dir, mols_csv):
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 400, *TINY_MOL,
                           *SMALL_AR, "--set", "reward=logp", "--set", "likelihood_steps=300",
                           "--set", "policy_steps=100", "--set", "policy_batch_size=32", "--set", "policy_lr=1e-3",
                           "--set", "repeat_price=0",  # 16 molecules repeat whatever the policy does
                           "--set", "eval_every=100", "--set", "checkpoint_every=100", "--set", "keep_checkpoints=5")
    assert code == 0, err
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"policy/reward", "policy/repeat_share", "policy/distinct"} <= set(header)
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    for checkpoint, out in (("step-0000300.pt", before), ("step-0000400.pt", after)):
        code, _, err = run_cli(capsys, "sample", run / "checkpoints" / checkpoint, "-n", 300, "-o", out, "--seed", 1)
        assert code == 0, err
    assert _mean_logp(after) > _mean_logp(before) + 0.3


def test_a_run_with_policy_steps_resumes_bit_exact(tmp_path, capsys, data_dir, mols_csv):
    import torch

    # A run stopped at step 4 (one policy step in) and resumed to 8: the policy's optimizer,
    # its remembered samples and the random streams carry over. A constant rate: the schedule
    # of one run to 8.
    settings = [*TINY_MOL, "--set", "reward=qed", "--set", "likelihood_steps=3", "--set", "policy_steps=5",
                "--set", "policy_batch_size=8", "--set", "lr_schedule=constant", "--set", "checkpoint_every=4",
                "--set", "eval_every=4", "--set", "transformer_dim=32", "--set", "pair_dim=16", "--set", "fcd=false"]
    a, b = straight_and_resumed(capsys, tmp_path, mols_csv, settings, 4, 8)
    for name in a["generator"]:
        assert torch.equal(a["generator"][name], b["generator"][name]), name
    assert a["policy"]["scores"] == b["policy"]["scores"]  # the remembered samples
    assert sum(len(batch) for batch in a["policy"]["scores"]["batches"]) == 5 * 8  # five policy steps of 8


@pytest.mark.parametrize("sets, message", [
    (["--set", "policy_steps=5"], "train.policy_steps climb a reward: set rl.reward"),
    (["--set", "reward=qed", "--set", "policy_steps=5", "--set", "generator=mlp", "--set", "aromatic=true",
      "--set", "likelihood_steps=0"],
     "train.policy_steps needs a task that scores its samples"),
    (["--set", "reward=qed", "--set", "repeat_price=-1"], "rl.repeat_price must be a finite number >= 0"),
    (["--set", "reward=qed,pharmacophore", "--set", "policy_steps=5"], "set rl.reference=FILE.smi"),
    (["--set", "rl.reference=actives.smi"], "rl.reference adds the pharmacophore term to a reward"),
    (["--set", "reward=qed", "--set", "rl.reference=actives.smi"],
     "rl.reference (the pharmacophore term) is scored on the generator's samples by policy steps"),
])
def test_policy_settings_it_cannot_run_are_refused(tmp_path, capsys, data_dir, mols_csv, sets, message):
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 2, *TINY_MOL, *sets)
    assert code == 2 and message in err.strip().splitlines()[-1], err
    assert "Traceback" not in err and not (run / "checkpoints").exists()


CRITIC_POLICY = [*TINY_MOL, "--set", "generator=autoregressive", "--set", "aromatic=false", "--set", "fcd=false",
                 "--set", "transformer_dim=16", "--set", "pair_dim=8", "--set", "transformer_layers=1",
                 "--set", "marginal_matching=0", "--set", "likelihood_steps=3", "--set", "policy_steps=5",
                 "--set", "policy_critic_weight=1", "--set", "policy_critic_warmup=2",
                 "--set", "policy_kl_weight=0.1", "--set", "policy_batch_size=8", "--set", "lr_schedule=constant",
                 "--set", "checkpoint_every=4", "--set", "eval_every=4"]


def test_a_policy_climbs_the_critic_alone_with_a_kl_price_and_resumes_bit_exact(tmp_path, capsys, data_dir,
                                                                              mols_csv):
    import torch

    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", run, "--max-steps", 8, *CRITIC_POLICY)
    assert code == 0, err
    assert ("5 policy steps on the critic's score (2 critic steps each) of its own samples, the first 2 training "
            "the critic alone, KL to its start priced at β = 0.1") in err
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    kl = [float(r["policy/kl"]) for r in rows if r.get("policy/kl")]
    assert kl and all(k == k for k in kl)  # logged, finite
    state = torch.load(run / "checkpoints" / "step-0000008.pt", weights_only=False)
    # the anchor is the generator at the first policy step (step 3), not the trained one
    start = torch.load(run / "checkpoints" / "step-0000004.pt", weights_only=False)
    anchor = state["policy"]["anchor"]
    assert all(torch.equal(anchor[k], start["policy"]["anchor"][k]) for k in anchor)
    assert any(not torch.equal(anchor[k], state["generator"][k]) for k in anchor)
    a, b = straight_and_resumed(capsys, tmp_path / "again", mols_csv, CRITIC_POLICY, 4, 8)
    for name in a["generator"]:
        assert torch.equal(a["generator"][name], b["generator"][name]), name
