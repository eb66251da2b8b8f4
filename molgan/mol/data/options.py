"""How a SMILES source becomes graphs: the options that key a dataset cache.

Apart from molgan/mol/data/dataset.py so that reading them (configs, `--help`) does not
import the dataset machinery (torch_geometric: seconds at start-up).
"""
from __future__ import annotations

from dataclasses import dataclass

from molgan.core.paths import DATA_DIR_ENV, default_data_dir  # noqa: F401  (where the caches live)
from molgan.errors import InputError
from molgan.mol.chem.vocab import AtomVocab

#: Heavy atoms above this make a molecule too large to train on by default: the dense bond
#: tensor grows with its square, so one giant molecule must not set every graph's size.
DEFAULT_MAX_ATOMS = 50


@dataclass(frozen=True)
class MolDataOptions:
    """How a SMILES source becomes graphs. Every field is part of the cache key."""

    max_atoms: int = DEFAULT_MAX_ATOMS  # larger molecules are skipped; graphs have the largest kept size
    atom_types: tuple[str, ...] | None = None  # None: every type found in the data of build.DEFAULT_ELEMENTS
    smiles_column: str | None = None  # None: found by name
    keep_largest_fragment: bool = True  # salts and mixtures: keep the main component
    aromatic: bool = False  # aromatic bonds as their own bond type; False: kekulized
    split_seed: int = 0
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)

    def __post_init__(self):
        if self.max_atoms < 1:
            raise InputError(f"max_atoms must be at least 1, got {self.max_atoms}")
        if self.atom_types is not None:
            try:
                AtomVocab.from_strings(self.atom_types)
            except ValueError as exc:
                raise InputError(str(exc)) from None
        if len(self.split_fractions) != 3 or abs(sum(self.split_fractions) - 1) > 1e-6 \
                or min(self.split_fractions) < 0:
            raise InputError(f"split fractions must be 3 non-negative numbers summing to 1, "
                             f"got {self.split_fractions}")
