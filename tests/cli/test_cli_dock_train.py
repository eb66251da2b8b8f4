"""A docking run: `--init` a generator, `--set reward=dock:DRD2,...`: the critic and MolGAN's
reward network with Vina at exhaustiveness 1 on a handful of molecules; every docking survives
a stop and `--resume`."""
import csv

from conftest import run_cli

from molgan.core.checkpoint import load_checkpoint

DOCKING = ["--set", "reward=dock:DRD2,qed", "--set", "dock.budget=6", "--set", "dock.per_round=3",
           "--set", "dock.every=2", "--set", "policy_batch_size=8", "--set", "dock.workers=1",
           "--set", "dock.fit_steps=5", "--set", "dock.members=2", "--set", "eval_every=2", "--set", "samples=20",
           "--set", "checkpoint_every=2", "--set", "uniqueness_samples=0", "--set", "best_requires=\"\"",
           "--set", "batch_size=8", "--set", "conv_dims=[8]", "--set", "readout_dim=8", "--set", "head_dims=[8]",
           "--set", "policy_critic_warmup=0", "--set", "dock.replay=2", "--set", "dock.candidates=16"]



def test_a_docking_run_docks_within_its_budget_and_resumes_with_every_docking(tmp_path, capsys, data_dir,
                                                                              mols_csv, autoregressive_run):
    out = tmp_path / "dock"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--init", autoregressive_run, "--out", out,
                           "--max-steps", 2, *DOCKING)
    assert code == 0, err
    assert "2 policy steps on λ = 0.25 of the critic's score (1 critic steps each) and 1 - λ of the task's" in err
    assert "docked 3 molecules (3 of the budget of 6 used)" in err
    first = load_checkpoint(out / "checkpoints" / "step-0000002.pt")["policy"]["scores"]["docking"]["reward"]
    assert first["calls"] == 3 and 1 <= len(first["docked"]["smiles"]) <= 3
    code, _, err = run_cli(capsys, "train", "--out", out, "--resume", "--max-steps", 6)
    assert code == 0 and "at step 2" in err, err
    assert "(6 of the budget of 6 used)" in err and "of the budget of 9" not in err
    final = load_checkpoint(out / "checkpoints" / "step-0000006.pt")["policy"]["scores"]["docking"]["reward"]
    assert final["calls"] == 6  # the budget holds across the resume
    assert final["docked"]["smiles"][:len(first["docked"]["smiles"])] == first["docked"]["smiles"]
    assert all(-15.0 < s < 0.0 for s in final["docked"]["scores"].tolist())
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    last = [r for r in rows if r.get("dock/calls")][-1]
    assert float(last["dock/calls"]) == 6 and float(last["dock/best"]) == min(final["docked"]["scores"].tolist())
    assert any(r.get("policy/replayed") for r in rows)  # docked molecules joined the policy's samples
    # the run's dockings are in the shared cache: `molgan dock` reads them without docking
    assert (data_dir / "docking.sqlite").is_file()


def test_a_docking_reward_without_a_trained_generator_is_refused(tmp_path, capsys, data_dir, mols_csv):
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", tmp_path / "r", "--max-steps", 2,
                           "--set", "reward=dock:DRD2,qed")
    assert code == 2 and "starts from a trained generator: --init prior" in err, err
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", tmp_path / "r", "--max-steps", 2,
                           "--set", "reward=dock:DRD2,dock:DRD3")
    assert code == 2 and "at most one docking term" in err, err


def test_a_missing_reference_file_stops_a_docking_run_before_it_starts(tmp_path, capsys, data_dir, mols_csv,
                                                                      autoregressive_run):
    out = tmp_path / "dock"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--init", autoregressive_run, "--out", out,
                           "--max-steps", 2, *DOCKING, "--set", f"rl.reference={tmp_path / 'actives.smi'}")
    assert code == 2 and err.strip().splitlines()[-1].endswith("actives.smi: no such file"), err
    assert not (out / "checkpoints").exists()


def test_the_pharmacophore_term_joins_a_docking_reward(tmp_path, capsys, data_dir, mols_csv, autoregressive_run,
                                                       monkeypatch):
    from types import SimpleNamespace

    from molgan.mol.docking import run

    monkeypatch.setattr(run, "dock_smiles", lambda smiles, *args, **kwargs: [SimpleNamespace(score=-8.0)
                                                                            for _ in smiles])
    actives = tmp_path / "actives.smi"
    actives.write_text("O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1 haloperidol\nc1ccccc1O phenol\n")
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--init", autoregressive_run, "--out",
                           tmp_path / "dock", "--max-steps", 2, *DOCKING, "--set", f"rl.reference={actives}")
    assert code == 0, err
    assert "reward qed,pharmacophore: the pharmacophore term compares with 2 reference ligands" in err


def test_the_joint_loss_improves_the_docked_scores(tmp_path, capsys, data_dir, mols_csv, autoregressive_run,
                                                   monkeypatch):
    """With a stand-in for Vina that rewards size (-1 kcal/mol per heavy atom, as docking
    roughly does), the molecules the run docks late score better than those it docked first."""
    from types import SimpleNamespace

    from rdkit import Chem

    from molgan.mol.docking import run

    def oracle(smiles, target, config, cache=None, progress=False, executor=None):
        return [SimpleNamespace(score=-1.0 * Chem.MolFromSmiles(s).GetNumHeavyAtoms()) for s in smiles]

    monkeypatch.setattr(run, "dock_smiles", oracle)
    out = tmp_path / "dock"
    settings = [s.replace("dock.budget=6", "dock.budget=400").replace("dock.per_round=3", "dock.per_round=8")
                .replace("policy_batch_size=8", "policy_batch_size=32").replace("eval_every=2", "eval_every=40")
                .replace("checkpoint_every=2", "checkpoint_every=40") for s in DOCKING]
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--init", autoregressive_run, "--out", out,
                           "--max-steps", 40, *settings, "--set", "policy_lr=1e-3", "--set", "reward=dock:DRD2")
    assert code == 0, err
    docked = load_checkpoint(out / "checkpoints" / "step-0000040.pt")["policy"]["scores"]["docking"]["reward"]
    scores = docked["docked"]["scores"].tolist()
    first, last = sum(scores[:16]) / 16, sum(scores[-16:]) / 16
    assert last < first - 0.5, (first, last)
