"""SIGTERM (a scheduler's preemption) and SIGINT (Ctrl-C) during training: the current
step finishes, a checkpoint is written, one line says so, the exit code is the shell's for
the signal, and `--resume` (no flags repeated) ends bit-exact with an uninterrupted run."""
import csv
import signal
import subprocess
import sys

import pytest
import torch
from conftest import run_cli
from helpers import final_generator, latest_step, train_args, wait_for

STEPS = 200


def logged_steps(run) -> int:
    path = run / "metrics.csv"
    if not path.exists():
        return 0
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return max((int(r[0]) for r in rows), default=0)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_checkpoints_the_finished_step_and_resume_is_bit_exact(tmp_path, capsys, small_csv_and_env, signum):
    molecules, env = small_csv_and_env
    # Checkpoints only far apart: the one found after the signal is the interruption's own.
    extra = ["--set", "checkpoint_every=100000", "--set", "eval_every=20", "--set", "sample_every=100"]
    run = tmp_path / "interrupted"
    process = subprocess.Popen([sys.executable, "-m", "molgan", *train_args(molecules, run, STEPS), *extra],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: logged_steps(run) >= 4 or process.poll() is not None)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    step = latest_step(run)
    assert 4 <= step < STEPS, "the run was interrupted, not finished"
    last = stderr.strip().splitlines()[-1]
    name = signal.Signals(signum).name
    assert last.startswith(f"molgan: interrupted by {name} after step {step}; checkpoint "), last
    assert "Traceback" not in stderr

    # Resume with no dataset flags and no settings: the run's config.toml has them.
    code, _, err = run_cli(capsys, "train", "--out", str(run), "--resume")
    assert code == 0, err
    assert f"step-{step:07d}.pt at step {step}" in err, err  # from the interruption's checkpoint
    reference = tmp_path / "reference"
    assert run_cli(capsys, *train_args(molecules, reference, STEPS), *extra)[0] == 0
    resumed, straight = final_generator(run, STEPS), final_generator(reference, STEPS)
    assert resumed.keys() == straight.keys()
    for name in straight:
        assert torch.equal(resumed[name], straight[name]), name
