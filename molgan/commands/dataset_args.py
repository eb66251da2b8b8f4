"""Command-line flags that choose a molecule dataset: shorthands for the `[data]` settings."""
from __future__ import annotations

import argparse
import json

from molgan.errors import InputError


def add_dataset_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    from molgan.mol.config import DEFAULT_MAX_ATOMS

    group = parser.add_argument_group("dataset (shorthands for --set data.KEY=VALUE)")
    group.add_argument("--dataset", required=required, metavar="qm9|moses|PATH",
                       help="'qm9' (shipped in the qm9pack package, no download), 'moses' (the MOSES "
                            "benchmark's drug-like splits, shipped in the molsets package) or a "
                            ".csv/.csv.gz/.smi file of your own SMILES (a file or folder named like a "
                            "built-in dataset: ./qm9)")
    group.add_argument("--smiles-column", metavar="NAME",
                       help="CSV column holding SMILES (default: found by name, e.g. 'smiles')")
    group.add_argument("--max-atoms", type=int, metavar="N",
                       help=f"heavy-atom limit; larger molecules are skipped and listed in skipped.csv "
                            f"(default: {DEFAULT_MAX_ATOMS})")
    group.add_argument("--atom-types", metavar="LIST",
                       help="comma-separated atom vocabulary such as C,N,O,F,N+,O-; molecules "
                            "with other atoms are skipped (default: every type in the data of the "
                            "elements C N O F P S Cl Br I)")
    group.add_argument("--data-dir", metavar="DIR",
                       help="dataset cache directory (default: $MOLGAN_DATA_DIR or ./data)")


def dataset_settings(args: argparse.Namespace) -> list[str]:
    """The flags given, as `data.KEY=VALUE` settings (TOML values)."""
    if args.max_atoms is not None and args.max_atoms < 1:
        raise InputError(f"--max-atoms must be at least 1, got {args.max_atoms}")
    settings = []
    if args.dataset is not None:
        settings.append(f"data.dataset={json.dumps(args.dataset)}")
    if args.smiles_column is not None:
        settings.append(f"data.smiles_column={json.dumps(args.smiles_column)}")
    if args.max_atoms is not None:
        settings.append(f"data.max_atoms={args.max_atoms}")
    if args.atom_types is not None:
        atom_types = [t.strip() for t in args.atom_types.split(",") if t.strip()]
        if not atom_types:
            raise InputError("--atom-types is empty")
        settings.append(f"data.atom_types={json.dumps(atom_types)}")
    if args.data_dir is not None:
        settings.append(f"data.data_dir={json.dumps(args.data_dir)}")
    return settings


def data_config(args: argparse.Namespace):
    """The `MolDataConfig` that the flags describe (for commands that only read data)."""
    from molgan.core.config import build_config, merge, to_dict
    from molgan.mol.config import MolDataConfig, dataset_data_defaults

    # A dataset's preset may convert it differently (MOSES: kekulized): the cache its runs use.
    base = merge(to_dict(MolDataConfig()), dataset_data_defaults(args.dataset or ""))
    return build_config(MolDataConfig, overrides=[s.removeprefix("data.") for s in dataset_settings(args)],
                        base=base)
