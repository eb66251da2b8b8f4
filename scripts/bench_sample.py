"""Time `molgan sample` and `molgan evaluate` on 10,000 molecules.

  python scripts/bench_sample.py runs/qm9                       # a run dir or checkpoint
  python scripts/bench_sample.py runs/qm9 --data-dir /tmp/cache

1. `molgan sample RUN -n 10000` (sample, decode, score QED/logP/SA/MW, write CSV), against
   the time RDKit alone needs for QED + logP + SA of the same valid molecules in one
   process (the bar: at most 1.5x that).
2. `molgan evaluate` of that file (FCD included; reference statistics cached beforehand),
   and of 10,000 distinct QM9 test molecules, the worst case for the per-unique-molecule
   work (the bar: 30 s on two idle cores).
Prints the thread count and wall-clock seconds; run on an idle machine.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import environment, write_result  # noqa: E402


def rdkit_alone(smiles: list[str]) -> float:
    from rdkit import Chem
    from rdkit.Chem import QED, Crippen
    from rdkit.Contrib.SA_Score import sascorer

    start = time.perf_counter()
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        QED.qed(mol), Crippen.MolLogP(mol), sascorer.calculateScore(mol)
    return time.perf_counter() - start


def timed(argv: list[str]) -> float:
    from molgan.cli import main

    start = time.perf_counter()
    if main(argv) != 0:
        raise SystemExit(f"molgan {' '.join(argv)} failed")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run directory or checkpoint")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--result", default="docs/results/sample_evaluate.json", help="JSON the docs cite")
    args = parser.parse_args()
    result = {}
    started = environment(torch.get_num_threads())  # the code as it is when the timing starts
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    print(f"cores {len(os.sched_getaffinity(0))}, torch threads {torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.csv"
        sample_seconds = timed(["-q", "sample", args.run, "-n", str(args.n), "-o", str(samples)])
        with open(samples, newline="") as handle:
            valid = [row["smiles"] for row in csv.DictReader(handle) if row["valid"] == "1"]
        alone = rdkit_alone(valid)
        print(f"sample: {args.n} molecules in {sample_seconds:.1f} s; RDKit QED+logP+SA alone on its "
              f"{len(valid)} valid molecules, one process: {alone:.1f} s; ratio {sample_seconds / alone:.2f} (bar 1.5)")
        result.update(sample_seconds=sample_seconds, rdkit_alone_seconds=alone, valid=len(valid))

        # Reference statistics are computed once per cache; keep that out of the timings.
        from molgan.mol.metrics.reference import load_reference
        reference = load_reference("qm9", args.data_dir, progress=False)
        seconds = timed(["-q", "evaluate", str(samples), *data])
        print(f"evaluate: the {args.n} samples above in {seconds:.1f} s (bar 30 s)")
        result["evaluate_samples_seconds"] = seconds

        from molgan.mol.data.dataset import open_mol_dataset
        test = open_mol_dataset("qm9", data_dir=args.data_dir, split="test", progress=False)
        distinct = Path(tmp) / "distinct.csv"
        distinct.write_text("smiles\n" + "\n".join(list(dict.fromkeys(test.smiles))[: args.n]) + "\n")
        seconds = timed(["-q", "evaluate", str(distinct), *data])
        print(f"evaluate: {args.n} distinct QM9 test molecules in {seconds:.1f} s (bar 30 s); "
              f"reference: {reference.size} molecules")
        result["evaluate_distinct_seconds"] = seconds
    command = f"python scripts/bench_sample.py RUN -n {args.n}"
    write_result(args.result, {"benchmark": "sample_evaluate", "command": command,
                               **started, "molecules": args.n,
                               "run": str(args.run), **result})


if __name__ == "__main__":
    main()
