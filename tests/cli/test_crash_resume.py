"""Real processes, real SIGKILLs: a killed run leaves no truncated or corrupt file, and
`--resume` finishes it."""
import csv
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from conftest import run_cli
from helpers import TESTS, final_generator, latest_step, train_args, wait_for

from molgan.core.checkpoint import load_checkpoint


def assert_nothing_corrupt(run: Path) -> None:
    """Every file a reader can see is complete: checkpoints load, CSV rows are whole."""
    for path in sorted((run / "checkpoints").glob("*.pt")):
        state = load_checkpoint(path)  # raises on a truncated or corrupt file
        assert state["step"] >= 1
    if (run / "metrics.csv").exists():
        with open(run / "metrics.csv", newline="") as handle:
            rows = list(csv.reader(handle))
        assert all(len(row) == len(rows[0]) for row in rows) and rows[0][0] == "step"
    for path in (run / "samples").glob("*.smi") if (run / "samples").is_dir() else []:
        assert path.read_text().endswith("\n")


def kill_when_stalled(marker: Path, step: int, env: dict, argv: list[str]) -> None:
    """Run `molgan argv` in tests/kill_worker.py, stalled at checkpoint `step` (0: when
    training starts), and SIGKILL it there."""
    worker = subprocess.Popen([sys.executable, str(TESTS / "kill_worker.py"), str(marker), str(step), *argv],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(marker.exists)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()


def test_kill_during_a_checkpoint_write_then_resume_matches_an_uninterrupted_run(tmp_path, capsys, small_csv_and_env):
    molecules, env = small_csv_and_env
    reference = tmp_path / "reference"
    assert run_cli(capsys, *train_args(molecules, reference, 8))[0] == 0

    run = tmp_path / "killed"
    kill_when_stalled(tmp_path / "stalled", 5, env, train_args(molecules, run, 8))
    checkpoints = run / "checkpoints"
    assert not (checkpoints / "step-0000005.pt").exists()  # the interrupted write never appears
    assert list(checkpoints.glob(".step-0000005.pt.*.tmp"))  # ... it was killed mid-write
    assert_nothing_corrupt(run)

    code, _, err = run_cli(capsys, *train_args(molecules, run, 8), "--resume")
    assert code == 0, err
    assert "step-0000004.pt at step 4" in err, err  # the last complete checkpoint, not step 0 or 5
    assert not list(run.rglob("*.tmp"))  # leftovers of the killed write are cleared
    assert_nothing_corrupt(run)
    ours, theirs = final_generator(run, 8), final_generator(reference, 8)
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_random_kills_never_leave_a_corrupt_file(tmp_path, capsys, small_csv_and_env):
    molecules, env = small_csv_and_env
    run, steps = tmp_path / "run", 150
    rng, reached = random.Random(0), []
    for attempt in range(3):
        resume = ["--resume"] if latest_step(run) else ["--overwrite"] if run.exists() else []
        process = subprocess.Popen([sys.executable, "-m", "molgan", "train", *train_args(molecules, run, steps)[1:],
                                    *resume], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            before = latest_step(run)
            wait_for(lambda: process.poll() is not None or latest_step(run) > before)
            time.sleep(rng.uniform(0.2, 1.0))  # somewhere in training, writing checkpoints every step
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert_nothing_corrupt(run)
        reached.append(latest_step(run))
    assert reached[-1] < steps, f"every kill should land before the end: {reached}"
    code, _, err = run_cli(capsys, *train_args(molecules, run, steps), "--resume")
    assert code == 0, err
    assert f"step-{reached[-1]:07d}.pt at step {reached[-1]}" in err, err
    assert load_checkpoint(run / "checkpoints" / f"step-{steps:07d}.pt")["step"] == steps
    assert not list(run.rglob("*.tmp"))
    assert_nothing_corrupt(run)


def test_a_run_killed_before_its_first_checkpoint_restarts_on_resume(tmp_path, capsys, small_csv_and_env):
    """A preempted job requeued with the same command line and --resume: no checkpoint yet,
    so it trains from step 0 with the recorded settings (a warning, not a failure)."""
    molecules, env = small_csv_and_env
    run = tmp_path / "killed"
    kill_when_stalled(tmp_path / "started", 0, env, [*train_args(molecules, run, 4), "--set", "lr_g=2e-4"])
    assert (run / "config.toml").is_file() and latest_step(run) == 0
    code, _, err = run_cli(capsys, "train", "--out", run, "--resume", "--max-steps", 4)
    assert code == 0, err
    assert "no checkpoint yet" in err and "starting it from step 0" in err and "resuming" not in err
    assert load_checkpoint(run / "checkpoints" / "step-0000004.pt")["config"]["train"]["lr_g"] == 2e-4
    # an empty folder holds no run: still an error
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, "train", "--out", tmp_path / "empty", "--resume")
    assert code == 2 and "no run to resume" in err


def test_resume_without_checkpoint_trains_what_a_fresh_run_trains(tmp_path, capsys, small_csv_and_env):
    molecules, _ = small_csv_and_env
    fresh, requeued = tmp_path / "fresh", tmp_path / "requeued"
    assert run_cli(capsys, *train_args(molecules, fresh, 4))[0] == 0
    assert run_cli(capsys, *train_args(molecules, requeued, 4))[0] == 0
    import shutil
    shutil.rmtree(requeued / "checkpoints")  # as if killed before the first checkpoint
    code, _, err = run_cli(capsys, *train_args(molecules, requeued, 4), "--resume")
    assert code == 0, err
    ours, theirs = final_generator(requeued, 4), final_generator(fresh, 4)
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    logged = [len((run / "metrics.csv").read_text().splitlines()) for run in (requeued, fresh)]
    assert logged[0] == logged[1]  # the restarted run's log starts afresh
