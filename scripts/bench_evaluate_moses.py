"""Time `molgan evaluate --reference moses` on 10,000 drug-like molecules.

  python scripts/bench_evaluate_moses.py                 # 10,000 of MOSES' test split
  python scripts/bench_evaluate_moses.py -n 10000 --repeats 3

The molecules are drawn (fixed seed) from the molsets wheel's test split: real MOSES
molecules, all valid and distinct, so every per-molecule step (RDKit profiles, filters,
ChemNet, the nearest-neighbour searches against Test and TestSF) runs for all of them, the
worst case for a file of generated samples of the same size. The reference statistics are
built or loaded once before the timings. Each repeat is the whole command in a fresh process
(start-up included), with the machine's cores; the median is the figure. Run on an idle machine.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import environment, write_result  # noqa: E402


def moses_test_sample(count: int, seed: int = 0) -> list[str]:
    import numpy as np

    from molgan.mol.data.sources import moses_file

    with gzip.open(moses_file("dataset/data/test.csv.gz"), "rt", newline="") as handle:
        smiles = [row["SMILES"] for row in csv.DictReader(handle)]
    chosen = np.random.default_rng(seed).choice(len(smiles), min(count, len(smiles)), replace=False)
    return [smiles[i] for i in sorted(chosen)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--result", default="docs/results/evaluate_moses.json", help="JSON the docs cite")
    args = parser.parse_args(argv)
    env = environment(len(os.sched_getaffinity(0)))
    from molgan.mol.metrics.reference import load_reference

    load_reference("moses", progress=True)  # built once if missing; not part of the timing
    seconds = []
    with tempfile.TemporaryDirectory() as folder:
        samples, report = Path(folder) / "moses_test.csv", Path(folder) / "report.json"
        samples.write_text("smiles\n" + "\n".join(moses_test_sample(args.n)) + "\n")
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "molgan", "-q", "evaluate", str(samples), "--reference", "moses",
                            "-o", str(report)], check=True)
            seconds.append(time.perf_counter() - start)
            print(f"molgan evaluate --reference moses, {args.n} molecules: {seconds[-1]:.1f} s", flush=True)
    command = f"python scripts/bench_evaluate_moses.py -n {args.n} --repeats {args.repeats}"
    write_result(args.result, {"benchmark": "evaluate_moses", "command": command, **env, "molecules": args.n,
                               "source": "MOSES test split, random sample (seed 0)", "seconds": seconds,
                               "median_seconds": statistics.median(seconds)})


if __name__ == "__main__":
    main()
