"""Benchmark the molecular data layer on full QM9 and assert the exact round trip.

  python scripts/bench_data.py [--workers N]

Prints: time to process QM9 from the qm9pack CSVs into a fresh cache, time to load the
cached training split (in a new process, after imports), decode throughput, and fails
(exit 1) unless every one of the 130,831 molecules decodes to its canonical SMILES.
Targets: processing <= 60 s on 2 cores, cached load <= 2 s.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

LOAD_SNIPPET = """
import time, sys
t0 = time.perf_counter()
from molgan.mol.data.dataset import open_mol_dataset
t1 = time.perf_counter()
ds = open_mol_dataset("qm9", data_dir=sys.argv[1], progress=False)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {len(ds)}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    import torch

    from molgan.mol.chem.graph import decode_dense
    from molgan.mol.data.convert import default_workers
    from molgan.mol.data.dataset import SPLITS, MolGraphDataset, open_mol_dataset

    workers = args.workers or default_workers()
    print(f"cores available {len(os.sched_getaffinity(0))}, conversion workers {workers}, "
          f"torch threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as data_dir:
        if args.workers:
            import molgan.mol.data.convert as convert
            convert.default_workers = lambda: args.workers
        start = time.perf_counter()
        open_mol_dataset("qm9", data_dir=data_dir, progress=False)
        process_s = time.perf_counter() - start
        print(f"process full QM9 from CSV: {process_s:.1f} s (target <= 60 s)")

        out = subprocess.run([sys.executable, "-c", LOAD_SNIPPET, data_dir],
                             capture_output=True, text=True, check=True).stdout.split()
        print(f"load cached train split in a new process: imports {float(out[0]):.2f} s, "
              f"load {float(out[1]):.3f} s for {int(out[2]):,} molecules (target <= 2 s)")

        root = open_mol_dataset("qm9", data_dir=data_dir).root
        splits = [MolGraphDataset(root, split) for split in SPLITS]
        vocab = splits[0].info.vocab
        start = time.perf_counter()
        total, mismatches = 0, []
        for data in splits:
            atoms, bonds = data.atom_types.numpy(), data.bond_types.numpy()
            for k, expected in enumerate(data.smiles):
                smiles, reason = decode_dense(atoms[k], bonds[k], vocab)
                total += 1
                if smiles != expected:
                    mismatches.append((expected, smiles, reason))
        decode_s = time.perf_counter() - start
        print(f"decode dense -> canonical SMILES: {total:,} molecules in {decode_s:.1f} s "
              f"({total / decode_s:,.0f} mol/s, one process)")
        print(f"round trip exact: {total - len(mismatches):,} / {total:,}")
    if total != 130_831 or mismatches:
        print(f"FAIL: {len(mismatches)} mismatches, first: {mismatches[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
