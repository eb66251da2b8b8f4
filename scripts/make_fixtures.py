"""Regenerate the test fixtures that come from a training run, from a run of the current defaults.

  molgan train --dataset qm9 --out runs/qm9          # the defaults, seed 0
  python scripts/make_fixtures.py runs/qm9

Writes tests/fixtures/run_small/ (the run's config.toml, metrics.csv and summary.json: what
the training-curves notebook reads) and tests/fixtures/samples_small.csv (80 raw samples of
its best.pt, `molgan sample --decode raw --seed 0`, so invalid rows and their reasons are in
it). tests/fixtures/reference_small.csv (202 QM9 molecules) is data, not run output.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished `molgan train --dataset qm9` run directory")
    parser.add_argument("--samples", type=int, default=80)
    args = parser.parse_args(argv)
    run_fixture = FIXTURES / "run_small"
    run_fixture.mkdir(parents=True, exist_ok=True)
    for name in ("config.toml", "metrics.csv", "summary.json"):
        shutil.copyfile(args.run / name, run_fixture / name)
    command = [sys.executable, "-m", "molgan", "-q", "sample", str(args.run), "-n", str(args.samples),
               "-o", str(FIXTURES / "samples_small.csv"), "--decode", "raw", "--seed", "0"]
    subprocess.run(command, check=True)
    print(f"wrote {run_fixture} and {FIXTURES / 'samples_small.csv'}")


if __name__ == "__main__":
    main()
