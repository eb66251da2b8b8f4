"""Medicinal-chemistry filters of one molecule: Lipinski's rule of five and structural alerts.

- **lipinski**: Lipinski's rule of five (molecular weight > 500, Crippen logP > 5, more than
  5 H-bond donors or 10 acceptors, as RDKit's Lipinski module counts them); a molecule passes
  with at most one violation, as Lipinski et al. (1997) state the rule.
- **pains**: the PAINS A, B and C patterns (Baell & Holloway 2010) of RDKit's FilterCatalog.
- **brenk**: Brenk et al.'s (2008) unwanted groups, RDKit's FilterCatalog.
- **mcf**: MOSES' 22 medicinal-chemistry filters (the molsets wheel's `mcf.csv`, matched
  with explicit hydrogens as MOSES does); only where the wheel is installed.

An alert column holds the name of the first pattern that matched ("" when none did).
"""
from __future__ import annotations

import csv
import functools
from typing import NamedTuple

from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors, Lipinski
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molgan.errors import InputError

FILTERS = ("lipinski", "pains", "brenk", "mcf")
#: A molecule passes the rule of five with at most this many violations.
MAX_LIPINSKI_VIOLATIONS = 1


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


def lipinski_violations(mol: Chem.Mol) -> int:
    return (int(Descriptors.MolWt(mol) > 500) + int(Crippen.MolLogP(mol) > 5)
            + int(Lipinski.NumHDonors(mol) > 5) + int(Lipinski.NumHAcceptors(mol) > 10))


@functools.cache
def _catalog(name: str) -> FilterCatalog:
    catalogs = FilterCatalogParams.FilterCatalogs
    params = FilterCatalogParams()
    for member in {"pains": (catalogs.PAINS_A, catalogs.PAINS_B, catalogs.PAINS_C), "brenk": (catalogs.BRENK,)}[name]:
        params.AddCatalog(member)
    return FilterCatalog(params)


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


def first_alert(mol: Chem.Mol, name: str) -> str:
    """The first `name` ("pains" or "brenk") pattern matching `mol`, or ""."""
    match = _catalog(name).GetFirstMatch(mol)
    return match.GetDescription() if match is not None else ""


def medchem(mol: Chem.Mol) -> MedChem:
    """Every filter's verdict on a sanitized molecule."""
    mcf, mcf_hit = mcf_alerts(), None
    if mcf is not None:
        with_hydrogens = Chem.AddHs(mol)
        mcf_hit = next((label for label, pattern in mcf if with_hydrogens.HasSubstructMatch(pattern)), "")
    return MedChem(lipinski_violations(mol), first_alert(mol, "pains"), first_alert(mol, "brenk"), mcf_hit)


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
