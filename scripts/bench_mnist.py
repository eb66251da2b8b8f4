"""Image GAN benchmark: <= 10 CPU-minutes on the 5,000 MNIST digits.

  OMP_NUM_THREADS=1 python scripts/bench_mnist.py --out runs/mnist-bench [--minutes 10]

Trains the default image GAN (conditional DCGAN, BCE) for the wall-clock budget, then prints
the last evaluation of 1,000 EMA samples (10 classes, balanced): the fraction classified with
confidence >= 0.9 by the run's own classifier (target >= 80 %), how often the predicted digit
matches the requested label, and the classifier-feature Frechet distance; next to the same
numbers for held-out *real* digits, which bound what a perfect generator would score.
The grid of the final samples is in OUT/samples/latest.png.
"""
from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path

from molgan.cli import main as molgan_main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--set", dest="sets", action="append", default=[])
    args = parser.parse_args()
    argv = ["train", "--dataset", "mnist", "--out", args.out, "--overwrite", "--max-steps", "1000000",
            "--set", f"max_minutes={args.minutes}"] + sum((["--set", s] for s in args.sets), [])
    if molgan_main(argv) != 0:
        return 1
    rows = list(csv.DictReader(open(Path(args.out) / "metrics.csv")))
    last = [r for r in rows if r.get("confident_frac")][-1]
    logging.getLogger("molgan").info(
        "after %s steps: confident >= 0.9: %.1f %% (target 80 %%), label match %.1f %%, classifier FD %.1f",
        last["step"], 100 * float(last["confident_frac"]), 100 * float(last["label_match"]),
        float(last["classifier_fd"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
