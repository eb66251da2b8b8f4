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


def test_kill_during_a_checkpoint_write_then_resume_matches_an_uninterrupted_run(tmp_path, capsys, small_csv_and_env):
    molecules, env = small_csv_and_env
    reference = tmp_path / "reference"
    assert run_cli(capsys, *train_args(molecules, reference, 8))[0] == 0

    run, marker = tmp_path / "killed", tmp_path / "stalled"
    worker = subprocess.Popen([sys.executable, str(TESTS / "kill_worker.py"), str(marker), "5",
                               *train_args(molecules, run, 8)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(marker.exists)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    checkpoints = run / "checkpoints"
    assert not (checkpoints / "step-0000005.pt").exists()  # the interrupted write never appears
    assert list(checkpoints.glob(".step-0000005.pt.*.tmp"))  # ... it was killed mid-write
    assert_nothing_corrupt(run)

    code, _, err = run_cli(capsys, *train_args(molecules, run, 8), "--resume")
    assert code == 0, err
    assert "resuming" in err and "step 4" in err
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
    assert load_checkpoint(run / "checkpoints" / f"step-{steps:07d}.pt")["step"] == steps
    assert not list(run.rglob("*.tmp"))
    assert_nothing_corrupt(run)
