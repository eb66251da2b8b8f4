"""The shipped prior: scripts/make_prior.py writes it from a MOSES run; `molgan sample prior`
and `molgan train --init prior` use it on a machine that never trained one."""
import csv
import subprocess
import sys

import pytest
import torch
from conftest import run_cli
from helpers import ROOT, TINY_MOL

from molgan.core.checkpoint import load_checkpoint
from molgan.mol import prior as priors

SMALL = ["--set", "transformer_dim=16", "--set", "pair_dim=8", "--set", "transformer_layers=1",
         "--set", "fcd=false"]


@pytest.fixture
def shipped(tmp_path, capsys, data_dir, small_moses, monkeypatch):
    """A prior made by scripts/make_prior.py from a tiny MOSES run, installed as `prior`."""
    run = tmp_path / "moses-run"
    code, _, err = run_cli(capsys, "train", "--dataset", "moses", "--out", run, "--max-steps", 2, *TINY_MOL, *SMALL)
    assert code == 0, err
    folder = tmp_path / "priors"
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_prior.py"), str(run), "-o",
                           str(folder / "moses.pt")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    monkeypatch.setattr(priors, "PRIOR_DIR", folder)
    return run, folder / "moses.pt"


def test_the_prior_holds_the_averaged_generator_and_nothing_to_train_on(shipped):
    run, path = shipped
    prior, state = load_checkpoint(path), load_checkpoint(run / "checkpoints" / "step-0000002.pt")
    weights = priors.source_weights(state)
    assert prior["generator"].keys() == weights.keys()
    assert all(torch.equal(prior["generator"][k], weights[k]) for k in weights)
    assert prior["ema"] is None and "opt_g" not in prior and "discriminator" not in prior
    assert prior["data_source"]["cache"] is None and prior["data_source"]["cache_name"].startswith("moses-")
    assert prior["prior"]["checkpoint"] == "step-0000002.pt"


def test_sample_and_init_from_the_prior(shipped, tmp_path, capsys):
    out = tmp_path / "prior.csv"
    code, _, err = run_cli(capsys, "sample", "prior", "-n", 20, "-o", out, "--seed", 1)
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 20 and all(r["valid"] == "1" for r in rows)
    # the novel column found the MOSES cache under this machine's data directory
    assert all(r["novel"] in ("0", "1") for r in rows)
    tuned = tmp_path / "tuned"
    code, _, err = run_cli(capsys, "train", "--dataset", "moses", "--init", "prior", "--out", tuned, "--max-steps", 1,
                           *TINY_MOL, "--set", "fcd=false", "--set", "lr_g=0")
    assert code == 0, err
    assert 'init = "prior"' in (tuned / "config.toml").read_text()
    weights = load_checkpoint(tuned / "checkpoints" / "step-0000001.pt")["generator"]
    start = load_checkpoint(shipped[1])["generator"]
    assert all(torch.equal(weights[k], start[k]) for k in start)


def test_no_prior_shipped_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(priors, "PRIOR_DIR", tmp_path / "none")
    code, _, err = run_cli(capsys, "sample", "prior", "-n", 5, "-o", tmp_path / "x.csv")
    assert code == 2 and "prior: this installation ships no prior" in err and err.count("\n") == 1, err


def test_the_shipped_prior_samples_drug_sized_molecules(tmp_path, capsys, data_dir):
    """The package's own prior (molgan/mol/priors/moses.pt, scripts/make_prior.py from the
    MOSES benchmark's seed 0): on a machine with no MOSES cache, it samples molecules of
    MOSES' size, distinct, within its valence masks."""
    from rdkit import Chem

    shipped = load_checkpoint(priors.PRIOR_DIR / priors.PRIORS["prior"])
    assert shipped["prior"]["benchmark"].endswith("moses_default.json")
    out = tmp_path / "prior.csv"
    code, _, err = run_cli(capsys, "sample", "prior", "-n", 200, "-o", out, "--seed", 0)
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 200 and all(r["valid"] == "1" for r in rows)
    sizes = [Chem.MolFromSmiles(r["smiles"]).GetNumHeavyAtoms() for r in rows]
    assert 18 <= sum(sizes) / len(sizes) <= 26 and max(sizes) <= 27  # MOSES: 21.7 on average, 27 at most
    assert len({r["smiles"] for r in rows}) >= 195
