"""Medicinal-chemistry filters of one molecule: Lipinski's rule of five and structural alerts.

- **lipinski**: Lipinski's rule of five (molecular weight > 500, Crippen logP > 5, more than
  5 H-bond donors or 10 acceptors, as RDKit's Lipinski module counts them); a molecule passes
  with at most one violation, as Lipinski et al. (1997) state the rule.
- **pains**: the PAINS A, B and C patterns (Baell & Holloway 2010) of RDKit's FilterCatalog.
- **brenk**: Brenk et al.'s (2008) unwanted groups, RDKit's FilterCatalog.
- **mcf**: MOSES' 22 medicinal-chemistry filters (the molsets wheel's `mcf.csv`, matched
  with explicit hydrogens as MOSES does); only where the wheel is installed.

An alert column holds the name of the first pattern that matched ("" when none did).

Alerts are screened before they are searched: RDKit's pattern fingerprint of an alert has
only bits that every molecule it matches has too, so an alert with a bit the molecule lacks
is skipped (PAINS and Brenk on MOSES' molecules: 1.8 ms -> 0.6 ms, screens included; the
same verdicts as the FilterCatalog's own search, tests/mol/chem/test_medchem.py).
"""
from __future__ import annotations

import csv
import functools
from typing import NamedTuple, Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors, Lipinski
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molgan.errors import InputError

FILTERS = ("lipinski", "pains", "brenk", "mcf")
#: A molecule passes the rule of five with at most this many violations.
MAX_LIPINSKI_VIOLATIONS = 1
#: Bits of RDKit's pattern fingerprints, the screen of the alerts.
SCREEN_BITS = 2048
#: The magic number that starts an RDKit molecule pickle (little-endian 0xDEADBEEF).
_MOL_PICKLE = b"\xef\xbe\xad\xde"


class MedChem(NamedTuple):
    """One molecule's verdicts; the alert fields name the first matching pattern ("" = none;
    `mcf` is None where MOSES' file is not installed)."""

    lipinski_violations: int
    pains: str
    brenk: str
    mcf: str | None

    def passes(self, name: str) -> bool:
        if name == "lipinski":
            return self.lipinski_violations <= MAX_LIPINSKI_VIOLATIONS
        return getattr(self, name) == ""


def lipinski_violations(mol: Chem.Mol, logp: float | None = None, mw: float | None = None) -> int:
    """Rule-of-five violations (`logp`, `mw`: Crippen logP and weight, when the caller has them)."""
    logp = Crippen.MolLogP(mol) if logp is None else logp
    mw = Descriptors.MolWt(mol) if mw is None else mw
    return int(mw > 500) + int(logp > 5) + int(Lipinski.NumHDonors(mol) > 5) + int(Lipinski.NumHAcceptors(mol) > 10)


def screen(mol: Chem.Mol) -> np.ndarray:
    """The pattern fingerprint of a molecule or of an alert (SMARTS query), packed bits."""
    bits = Chem.PatternFingerprint(mol, SCREEN_BITS).ToBitString().encode()
    return np.packbits(np.frombuffer(bits, dtype=np.uint8) == ord("1"))


class Screens:
    """The screens of a list of alerts: `candidates(have)` are the alerts, in order, whose
    bits are all in the molecule's screen `have` (all of them in one array operation)."""

    def __init__(self, screens: Sequence[np.ndarray | None]):
        empty = np.zeros(SCREEN_BITS // 8, dtype=np.uint8)  # no bits: always searched
        self.bits = np.stack([empty if s is None else s for s in screens] or [empty])[:len(screens)]

    def __len__(self) -> int:
        return len(self.bits)

    def candidates(self, have: np.ndarray) -> np.ndarray:
        return np.flatnonzero(~np.any(self.bits & ~have, axis=1))


def matches_any(mol: Chem.Mol, patterns: Sequence[Chem.Mol], screens: Screens, have: np.ndarray | None = None) -> bool:
    """Whether any of `patterns` matches `mol`, searching only those whose `screens` fit
    the molecule's (`have`: the molecule's screen, when already computed)."""
    have = screen(mol) if have is None else have
    return any(mol.HasSubstructMatch(patterns[i]) for i in screens.candidates(have))


def _entry_screen(entry) -> np.ndarray | None:
    """The screen of a FilterCatalog entry's pattern, or None (always searched).

    The catalog does not hand out its patterns; an entry's serialization holds its pattern
    as a molecule pickle after the pickle's length (recursive SMARTS nest their own pickles
    inside it). Anything else there leaves the entry unscreened, which is only slower.
    """
    blob = entry.Serialize()
    start = blob.find(_MOL_PICKLE)
    if start <= 0:
        return None
    try:
        length = int(blob[:start].split()[-1])
        pattern = Chem.Mol(blob[start: start + length])
    except (ValueError, IndexError, RuntimeError):
        return None
    return screen(pattern) if pattern.GetNumAtoms() else None


@functools.cache
def _catalog(name: str) -> tuple[tuple, Screens]:
    """The entries of RDKit's `name` FilterCatalog in its own order, and their screens."""
    catalogs = FilterCatalogParams.FilterCatalogs
    params = FilterCatalogParams()
    for member in {"pains": (catalogs.PAINS_A, catalogs.PAINS_B, catalogs.PAINS_C), "brenk": (catalogs.BRENK,)}[name]:
        params.AddCatalog(member)
    catalog = FilterCatalog(params)
    entries = [catalog.GetEntry(i) for i in range(catalog.GetNumEntries())]
    return tuple(entries), Screens([_entry_screen(entry) for entry in entries])


@functools.cache
def _mcf_screens() -> Screens:
    return Screens([screen(pattern) for _, pattern in mcf_alerts() or ()])


@functools.cache
def mcf_alerts() -> tuple[tuple[str, Chem.Mol], ...] | None:
    """MOSES' MCF patterns with their names, or None without the molsets wheel."""
    from molgan.mol.data.sources import moses_file

    try:
        path = moses_file("metrics/mcf.csv")
    except InputError:
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [(row["names"], Chem.MolFromSmarts(row["smarts"].strip())) for row in csv.DictReader(handle)]
    if any(pattern is None for _, pattern in rows):
        raise InputError(f"{path}: a SMARTS pattern RDKit cannot parse")
    return tuple(rows)


def first_alert(mol: Chem.Mol, name: str, have=None) -> str:
    """The first `name` ("pains" or "brenk") pattern matching `mol`, or "": what the
    FilterCatalog's GetFirstMatch names. `have`: the molecule's screen, when computed."""
    entries, screens = _catalog(name)
    have = screen(mol) if have is None else have
    return next((entries[i].GetDescription() for i in screens.candidates(have) if entries[i].HasFilterMatch(mol)), "")


def first_mcf(with_hydrogens: Chem.Mol, have=None) -> str | None:
    """The first MCF alert matching a molecule with explicit hydrogens, "" for none, None
    without MOSES' file. `have`: that molecule's screen, when computed."""
    mcf = mcf_alerts()
    if mcf is None:
        return None
    have = screen(with_hydrogens) if have is None else have
    return next((mcf[i][0] for i in _mcf_screens().candidates(have) if with_hydrogens.HasSubstructMatch(mcf[i][1])), "")


def medchem(mol: Chem.Mol, with_hydrogens: Chem.Mol | None = None, hydrogens_screen=None, have=None,
            logp: float | None = None, mw: float | None = None) -> MedChem:
    """Every filter's verdict on a sanitized molecule (`with_hydrogens`: `Chem.AddHs(mol)`
    and its screen; `have`: the molecule's screen; `logp`, `mw`: its Crippen logP and
    weight; each when the caller has them)."""
    have = screen(mol) if have is None else have
    mcf_hit = None
    if mcf_alerts() is not None:
        with_hydrogens = Chem.AddHs(mol) if with_hydrogens is None else with_hydrogens
        mcf_hit = first_mcf(with_hydrogens, hydrogens_screen)
    return MedChem(lipinski_violations(mol, logp, mw), first_alert(mol, "pains", have),
                   first_alert(mol, "brenk", have), mcf_hit)


def parse_filters(text: str) -> tuple[str, ...]:
    """"lipinski,pains" -> ("lipinski", "pains"); unknown names are an InputError."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [n for n in names if n not in FILTERS]
    if unknown or not names:
        problem = f"unknown filter {unknown[0]!r}" if unknown else "no filter named"
        raise InputError(f"--filter: {problem} (choose from {', '.join(FILTERS)})")
    if "mcf" in names and mcf_alerts() is None:
        raise InputError("--filter mcf needs MOSES' alert files: pip install --no-deps molsets==0.3.1")
    return names
