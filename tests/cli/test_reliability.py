"""Reliability guarantees not covered elsewhere: run-directory lock, NaN through the CLI, full
disk, optional extras missing, versions reported. (Kills: test_crash_resume.py; hostile
and malformed inputs: test_bad_inputs.py, test_checkpoint.py.)"""
import builtins
import errno
import hashlib
import sys

import pytest
from conftest import run_cli

from molgan.core.checkpoint import load_checkpoint

MOLECULES = ["CCO", "CC(=O)O", "c1ccccc1", "CCN", "C#N", "NCC(=O)O", "OCC(O)CO", "CC(C)=O"]
TINY = ["--set", "batch_size=8", "--set", "n_critic=1", "--set", "generator_dims=[16]", "--set", "conv_dims=[8]",
        "--set", "readout_dim=8", "--set", "head_dims=[8]", "--set", "checkpoint_every=2", "--set", "eval_every=2",
        "--set", "samples=20", "--set", "fcd=false", "--set", "uniqueness_samples=0", "--set", 'best_requires=""']


@pytest.fixture
def trained(tmp_path, capsys, data_dir):
    """A 4-step molecule run; returns (train arguments without --max-steps, run dir)."""
    molecules = tmp_path / "mols.csv"
    molecules.write_text("smiles\n" + "\n".join(MOLECULES * 3) + "\n")
    run = tmp_path / "run"
    args = ["train", "--dataset", molecules, "--out", run, *TINY]
    code, _, err = run_cli(capsys, *args, "--max-steps", 4)
    assert code == 0, err
    return args, run


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(run) -> dict:
    return {str(p.relative_to(run)): digest(p) for p in sorted(run.rglob("*")) if p.is_file() and p.name != ".lock"}


def test_a_second_writer_is_refused_while_a_run_holds_the_lock(trained, capsys):
    from molgan.core.run import RunDirectory

    args, run = trained
    before = tree(run)
    with RunDirectory(run):  # as if another molgan process were training into it
        code, _, err = run_cli(capsys, *args, "--max-steps", 6, "--overwrite")
    assert code == 2 and "another molgan process is writing this run directory" in err
    assert tree(run) == before  # --overwrite did not clear anything


def test_nan_stops_the_run_names_step_and_loss_and_keeps_the_last_good_checkpoint(trained, capsys):
    args, run = trained
    good = run / "checkpoints" / "step-0000004.pt"
    before = digest(good)
    code, _, err = run_cli(capsys, *args, "--max-steps", 8, "--resume", "--set", "gp_weight=nan")
    assert code == 1
    error = err.strip().splitlines()[-1]
    assert error == ("molgan: error: non-finite discriminator loss (nan) at step 5; stopped, "
                     "the last good checkpoint is kept")
    assert digest(good) == before and not (run / "checkpoints" / "step-0000005.pt").exists()
    assert sorted(p.name for p in (run / "checkpoints").glob("step-*.pt"))[-1] == "step-0000004.pt"


def _disk_full(monkeypatch):
    import molgan.core.atomic as atomic

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)


def test_full_disk_during_training_keeps_every_previous_file(trained, capsys, monkeypatch):
    args, run = trained
    before = tree(run)
    _disk_full(monkeypatch)
    code, _, err = run_cli(capsys, *args, "--max-steps", 6, "--resume")
    assert code == 1
    error = err.strip().splitlines()[-1]
    assert "No space left on device" in error and "Traceback" not in err and error.startswith("molgan: error:")
    after = tree(run)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing written before is changed
    assert not list(run.rglob("*.tmp"))
    monkeypatch.undo()
    code, _, err = run_cli(capsys, *args, "--max-steps", 6, "--resume")  # space again: it resumes
    assert code == 0, err
    assert load_checkpoint(run / "checkpoints" / "step-0000006.pt")["step"] == 6


def test_full_disk_while_writing_samples_keeps_the_previous_file(trained, capsys, monkeypatch):
    _, run = trained
    output = run.parent / "samples.csv"
    output.write_text("smiles\nCCO\n")
    _disk_full(monkeypatch)
    code, _, err = run_cli(capsys, "sample", run, "-n", 5, "-o", output)
    assert code == 1 and err.count("\n") == 1
    assert "samples.csv: cannot write (No space left on device); any previous version is unchanged" in err
    assert output.read_text() == "smiles\nCCO\n" and not list(run.parent.glob(".samples.csv.*"))


def test_unwritable_output_path_is_a_usage_error(trained, capsys):
    _, run = trained
    blocker = run.parent / "a_file"
    blocker.write_text("x")
    code, _, err = run_cli(capsys, "sample", run, "-n", 5, "-o", blocker / "s.csv")  # parent is a file
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err


def test_missing_tensorboard_is_a_hint_not_a_crash(tmp_path, monkeypatch, caplog):
    import logging

    from molgan.core.logs import MetricsLog

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard") or name == "tensorboard":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with caplog.at_level(logging.INFO):
        metrics = MetricsLog(tmp_path)
        metrics.log(1, {"loss": 0.5})
        metrics.close()
    assert "pip install tensorboard" in caplog.text
    assert (tmp_path / "metrics.csv").read_text().startswith("step,loss")


def test_missing_notebook_extra_is_a_hint(monkeypatch):
    from molgan.mol import report

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[notebooks\]'"):
        report.plot_curves(None, {})


def test_version_reports_the_dependencies(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0
    for name in ("molgan", "torch", "torch_geometric", "rdkit", "numpy", "pandas", "scipy", "fcd_torch", "python"):
        assert name in out
