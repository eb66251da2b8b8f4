"""Inspect a molecule dataset, building its cache on first use.

  molgan data info --dataset qm9
  molgan data info --dataset my_molecules.csv --smiles-column SMILES --max-atoms 20

The cache (dense graph tensors, the 80/10/10 split, meta.json and skipped.csv listing
every row left out and why) goes to --data-dir, $MOLGAN_DATA_DIR or ./data.
"""
from __future__ import annotations

import argparse
import json
import sys

from molgan.commands.dataset_args import add_dataset_arguments, data_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="print molecule count, vocabulary, sizes and splits",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_dataset_arguments(info)
    info.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from molgan.mol.data.dataset import open_mol_dataset

    config = data_config(args)
    dataset = open_mol_dataset(config.dataset, config.options(), config.data_dir, progress=not args.quiet)
    info = dataset.info
    if args.json:
        sys.stdout.write(json.dumps({**asdict(info), "cache": dataset.root}, indent=1) + "\n")
        return 0
    rows = [
        ("source", info.source),
        ("cache", dataset.root),
        ("rows read", f"{info.num_rows:,}"),
        ("molecules", f"{info.num_molecules:,}"),
        ("skipped", f"{info.skipped:,}" + "".join(f"\n  {n:,} {r}" for r, n in
                                                     info.skipped_reasons.items())),
        ("duplicates", f"{info.duplicates:,} (same canonical SMILES; kept)"),
        ("max atoms", str(info.max_atoms)),
        ("atom types", ", ".join(f"{t} {info.atom_counts[t]:,}" for t in info.atom_types)),
        ("bond types", ", ".join(f"{b} {n:,}" for b, n in info.bond_counts.items())),
        ("splits", ", ".join(f"{s} {n:,}" for s, n in info.split_sizes.items())),
    ]
    width = max(len(name) for name, _ in rows)
    sys.stdout.write("".join(f"{name:<{width}}  {value}\n" for name, value in rows))
    return 0
