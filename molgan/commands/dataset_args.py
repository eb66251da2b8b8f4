"""Command-line flags that choose a molecule dataset, shared by every command that reads one."""
from __future__ import annotations

import argparse

from molgan.errors import InputError


def add_dataset_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_argument_group("dataset")
    group.add_argument("--dataset", required=required, metavar="qm9|PATH",
                       help="'qm9' (shipped in the qm9pack package, no download) or a "
                            ".csv/.csv.gz/.smi file of your own SMILES")
    group.add_argument("--smiles-column", metavar="NAME",
                       help="CSV column holding SMILES (default: found by name, e.g. 'smiles')")
    group.add_argument("--max-atoms", type=int, metavar="N",
                       help="heavy-atom limit; larger molecules are skipped (default: the "
                            "largest molecule in the data)")
    group.add_argument("--atom-types", metavar="LIST",
                       help="comma-separated atom vocabulary such as C,N,O,F,N+,O-; molecules "
                            "with other atoms are skipped (default: every type in the data)")
    group.add_argument("--data-dir", metavar="DIR",
                       help="dataset cache directory (default: $MOLGAN_DATA_DIR or ./data)")


def dataset_options(args: argparse.Namespace):
    """The `MolDataOptions` that the dataset flags describe."""
    from molgan.mol.data.dataset import MolDataOptions

    if args.max_atoms is not None and args.max_atoms < 1:
        raise InputError(f"--max-atoms must be at least 1, got {args.max_atoms}")
    atom_types = None
    if args.atom_types is not None:
        atom_types = tuple(t.strip() for t in args.atom_types.split(",") if t.strip())
        if not atom_types:
            raise InputError("--atom-types is empty")
    return MolDataOptions(max_atoms=args.max_atoms, atom_types=atom_types,
                          smiles_column=args.smiles_column)
