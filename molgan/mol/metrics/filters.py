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

from rdkit import Chem

from molgan.errors import InputError
from molgan.mol.chem.medchem import Screens, matches_any, mcf_alerts, screen

ALLOWED_ELEMENTS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
MAX_RING_SIZE = 7  # MOSES refuses rings of 8 atoms or more


@functools.cache
def pains_alerts() -> tuple[Chem.Mol, ...]:
    """The PAINS alert patterns of the molsets wheel, parsed once per process."""
    from molgan.mol.data.sources import moses_file

    with open(moses_file("metrics/wehi_pains.csv"), newline="", encoding="utf-8") as handle:
        pains = [row[0] for row in csv.reader(handle) if row]  # no header: smarts, name
    parsed = tuple(Chem.MolFromSmarts(text.strip()) for text in pains)
    if any(p is None for p in parsed):
        raise InputError("molsets' wehi_pains.csv holds a SMARTS pattern RDKit cannot parse")
    return parsed


@functools.cache
def moses_alerts() -> tuple[Chem.Mol, ...]:
    """The MCF and PAINS alert patterns of the molsets wheel."""
    mcf = mcf_alerts()
    if mcf is None:
        from molgan.mol.data.sources import moses_file

        moses_file("metrics/mcf.csv")  # raises the error that names what is missing
    return tuple(pattern for _, pattern in mcf) + pains_alerts()


@functools.cache
def alert_screens(which: str = "all") -> Screens:
    """Screens (molgan/mol/chem/medchem.py) of `moses_alerts()` ("all") or `pains_alerts()`."""
    return Screens([screen(pattern) for pattern in (moses_alerts() if which == "all" else pains_alerts())])


def passes_moses_filters(mol: Chem.Mol, mcf_hit: str | None = None, with_hydrogens: Chem.Mol | None = None,
                         hydrogens_screen=None, parsed_from: str | None = None) -> bool:
    """MOSES' `mol_passes_filters` for a sanitized molecule. `mcf_hit`: the molecule's MCF
    verdict when already known (medchem's `first_mcf`), so only PAINS is searched;
    `with_hydrogens`: `Chem.AddHs(mol)` and its screen, when the caller has them;
    `parsed_from`: the SMILES `mol` was parsed from, if any."""
    if any(len(ring) > MAX_RING_SIZE for ring in mol.GetRingInfo().AtomRings()):
        return False
    if any(atom.GetFormalCharge() != 0 or atom.GetSymbol() not in ALLOWED_ELEMENTS for atom in mol.GetAtoms()):
        return False
    if mcf_hit:
        return False
    with_hydrogens = Chem.AddHs(mol) if with_hydrogens is None else with_hydrogens
    patterns, screens = ((pains_alerts(), alert_screens("pains")) if mcf_hit is not None
                         else (moses_alerts(), alert_screens()))
    if matches_any(with_hydrogens, patterns, screens, hydrogens_screen):
        return False
    # MOSES also asks that it round-trips; a SMILES it was parsed from is known to parse
    written = Chem.MolToSmiles(mol)
    return written == parsed_from or Chem.MolFromSmiles(written) is not None
