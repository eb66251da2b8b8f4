"""`molgan train --init`: a new run starts from a trained generator's weights, with its
architecture and atom types; a source whose graphs do not fit is refused in one line."""
import pytest
import torch
from conftest import run_cli
from helpers import TINY_MOL

from molgan.core.checkpoint import load_checkpoint
from molgan.mol.prior import source_weights
from molgan.mol.sampling import resolve_checkpoint



def test_a_run_starts_from_the_source_generator(tmp_path, capsys, autoregressive_run, mols_csv):
    out = tmp_path / "tuned"
    # lr 0: the generator cannot move, so its weights after a step are the ones it started from
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 1, *TINY_MOL,
                           "--set", "fcd=false", "--set", "likelihood_steps=1", "--set", "lr_g=0",
                           "--init", autoregressive_run)
    assert code == 0, err
    used = resolve_checkpoint(autoregressive_run)  # best.pt, else the latest checkpoint
    assert f"generator initialised from {used} (step 2 of its run)" in err
    assert "the autoregressive generator" in err  # its architecture came with it, not the MLP default
    start = source_weights(load_checkpoint(used))
    tuned = load_checkpoint(out / "checkpoints" / "step-0000001.pt")["generator"]
    assert tuned.keys() == start.keys() and all(torch.equal(tuned[k], start[k]) for k in start)
    assert f'init = "{autoregressive_run}"' in (out / "config.toml").read_text()
    # the recorded source is what a restart from step 0 would use: resume keeps the run's own
    code, _, err = run_cli(capsys, "train", "--out", out, "--resume", "--max-steps", 2)
    assert code == 0 and "at step 1" in err, err


def test_a_source_trained_on_other_graphs_is_refused(tmp_path, capsys, autoregressive_run, mols_csv):
    out = tmp_path / "other"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 1, *TINY_MOL,
                           "--init", autoregressive_run, "--set", "atom_types=C,N,O,F,S")
    assert code == 2 and err.endswith("\n") and err.count("molgan: error") == 1, err
    assert "molgan: error: --init" in err and "trained on atom types ['C', 'N', 'O'], this dataset gives" in err
    assert not (out / "checkpoints").exists()


@pytest.mark.parametrize("args, message", [
    (["--init", "nowhere"], "nowhere: no such run directory or checkpoint"),
    (["--init", "prior", "--resume"], None),
])
def test_bad_init_is_one_line(tmp_path, capsys, data_dir, mols_csv, args, message):
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", tmp_path / "r", "--max-steps", 1, *args)
    assert code == 2 and err.count("\n") == 1, err
    if message:
        assert message in err
