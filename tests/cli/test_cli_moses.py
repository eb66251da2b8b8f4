"""Drug-like molecules through the CLI: `--dataset moses` and a user's own drug-like SMILES
file train, sample and evaluate (`--reference moses`) the same way, on small samples."""
import csv
import json

from rdkit import Chem

from conftest import MOSES_FIXTURE, run_cli
from helpers import TINY_MOL

from molgan.core.checkpoint import load_checkpoint


def test_moses_trains_samples_and_evaluates_with_the_moses_suite(tmp_path, capsys, data_dir, small_moses):
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", "moses", "--out", run, "--max-steps", 4, *TINY_MOL)
    assert code == 0, err
    state = load_checkpoint(run / "checkpoints" / "step-0000004.pt")
    config = state["config"]  # MOSES' preset, under the --set values
    assert config["train"]["sample_every"] == 1000 and config["train"]["max_minutes"] == 54
    # The preset's model: the autoregressive generator on kekulized graphs, by likelihood alone
    # (no critic built, none saved).
    assert config["model"]["generator"] == "autoregressive" and config["data"]["aromatic"] is False
    assert config["train"]["likelihood_steps"] == 6500 and state["discriminator"] is None
    assert state["task"]["bond_types"] == 4
    assert state["task"]["max_atoms"] <= 27 and set(state["task"]["atom_types"]) <= {"C", "N", "O", "S", "F", "Cl",
                                                                                      "Br"}
    samples, report = tmp_path / "s.csv", tmp_path / "r.json"
    assert run_cli(capsys, "sample", run, "-n", 40, "-o", samples)[0] == 0
    rows = list(csv.DictReader(samples.open()))
    # kekulized graphs within the valences: every one a molecule, with no repair
    assert len(rows) == 40 and all(r["valid"] == "1" and Chem.MolFromSmiles(r["smiles"]) for r in rows)
    code, out, err = run_cli(capsys, "evaluate", samples, "--reference", "moses", "-o", report, "--workers", 1)
    assert code == 0, err
    moses = json.loads(report.read_text())["moses"]
    assert moses["valid"] == 1.0 and 0 < moses["unique@1000"] <= 1 and moses["FCD/Test"] > 0
    assert "MOSES suite" in out


def test_a_users_drug_like_file_trains_like_moses(tmp_path, capsys, data_dir):
    # The MOSES sample's training rows as the user's own .csv.gz (a ZINC-like file, say).
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", f"{MOSES_FIXTURE}/dataset/data/train.csv.gz", "--out", run,
                           "--max-steps", 2, *TINY_MOL)
    assert code == 0, err
    state = load_checkpoint(run / "checkpoints" / "step-0000002.pt")
    assert 20 <= state["task"]["max_atoms"] <= 27
    samples = tmp_path / "s.csv"
    assert run_cli(capsys, "sample", run, "-n", 20, "-o", samples, "--decode", "raw")[0] == 0
    assert len(list(csv.DictReader(samples.open()))) == 20
