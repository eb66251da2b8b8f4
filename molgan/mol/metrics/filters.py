"""MOSES' "Filters" metric: the share of molecules a medicinal chemist would not discard.

As MOSES defines it (moses/metrics/utils.py, `mol_passes_filters`), a molecule passes when
it has no ring of 8 or more atoms, no charged atom, only the atoms C N S O F Cl Br (H),
none of the structural alerts of the molsets wheel's `mcf.csv` (22 medicinal-chemistry
filters) and `wehi_pains.csv` (480 PAINS patterns) matches it with explicit hydrogens, and
its SMILES parses again.
The alert files are read from the installed wheel (`pip install --no-deps molsets`).
"""
from __future__ import annotations

import csv
import functools

from rdkit import Chem, DataStructs

from molgan.errors import InputError
from molgan.mol.chem.medchem import mcf_alerts

ALLOWED_ELEMENTS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
MAX_RING_SIZE = 7  # MOSES refuses rings of 8 atoms or more


#: Bits of RDKit's pattern fingerprints, the substructure screen of the alerts.
SCREEN_BITS = 2048


@functools.cache
def moses_alerts() -> tuple[Chem.Mol, ...]:
    """The MCF and PAINS alert patterns of the molsets wheel, parsed once per process."""
    from molgan.mol.data.sources import moses_file

    with open(moses_file("metrics/wehi_pains.csv"), newline="", encoding="utf-8") as handle:
        pains = [row[0] for row in csv.reader(handle) if row]  # no header: smarts, name
    parsed = tuple(Chem.MolFromSmarts(text.strip()) for text in pains)
    if any(p is None for p in parsed):
        raise InputError("molsets' wehi_pains.csv holds a SMARTS pattern RDKit cannot parse")
    mcf = mcf_alerts()
    if mcf is None:
        moses_file("metrics/mcf.csv")  # raises the error that names what is missing
    return tuple(pattern for _, pattern in mcf) + parsed


@functools.cache
def _alert_screens() -> tuple[DataStructs.ExplicitBitVect, ...]:
    return tuple(Chem.PatternFingerprint(pattern, SCREEN_BITS) for pattern in moses_alerts())


def matches_any(mol: Chem.Mol, patterns: tuple[Chem.Mol, ...], screens: tuple) -> bool:
    """Whether any of `patterns` matches `mol`. A pattern whose pattern fingerprint
    (`screens`) has a bit the molecule's lacks cannot match, so most are never searched:
    3x faster on MOSES' molecules, the same verdicts (tests/mol/metrics/test_filters.py)."""
    have = Chem.PatternFingerprint(mol, SCREEN_BITS)
    return any(DataStructs.AllProbeBitsMatch(screen, have) and mol.HasSubstructMatch(pattern)
               for pattern, screen in zip(patterns, screens))


def passes_moses_filters(mol: Chem.Mol) -> bool:
    """MOSES' `mol_passes_filters` for a sanitized molecule."""
    if any(len(ring) > MAX_RING_SIZE for ring in mol.GetRingInfo().AtomRings()):
        return False
    if any(atom.GetFormalCharge() != 0 or atom.GetSymbol() not in ALLOWED_ELEMENTS for atom in mol.GetAtoms()):
        return False
    if matches_any(Chem.AddHs(mol), moses_alerts(), _alert_screens()):
        return False
    return Chem.MolFromSmiles(Chem.MolToSmiles(mol)) is not None  # MOSES also asks that it round-trips
