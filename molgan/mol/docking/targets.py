"""Protein targets: receptors and search boxes from the `dockstring` wheel's files.

Only the files are read (`resources/targets/{NAME}_target.pdbqt`, `{NAME}_conf.txt`):
dockstring's own docking runs a 32-bit Vina 1.1 binary and needs Open Babel.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from molgan.errors import InputError

BOX_KEYS = ("center_x", "center_y", "center_z", "size_x", "size_y", "size_z")

#: Approved drugs that bind a target, docked for scale (what a good score looks like there).
KNOWN_LIGANDS: dict[str, dict[str, str]] = {"DRD2": {
    "haloperidol": "O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1",
    "risperidone": "Cc1nc2n(c(=O)c1CCN1CCC(c3noc4cc(F)ccc34)CC1)CCCC2",
    "aripiprazole": "O=C1CCc2ccc(OCCCCN3CCN(c4cccc(Cl)c4Cl)CC3)cc2N1",
    "clozapine": "CN1CCN(C2=Nc3cc(Cl)ccc3Nc3ccccc32)CC1",
    "olanzapine": "Cc1cc2c(s1)Nc1ccccc1N=C2N1CCN(C)CC1",
    "sulpiride": "CCN1CCCC1CNC(=O)c1cc(S(N)(=O)=O)ccc1OC",
}, "PARP1": {  # an enzyme's nicotinamide pocket: a pocket unlike DRD2's (a GPCR)
    "olaparib": "O=C1NN=C(Cc2ccc(F)c(C(=O)N3CCN(C(=O)C4CC4)CC3)c2)c2ccccc12",
    "niraparib": "NC(=O)c1cccc2cn(-c3ccc([C@@H]4CCCNC4)cc3)nc12",
    "rucaparib": "CNCc1ccc(-c2[nH]c3cc(F)cc4c3c2CCNC4=O)cc1",
    "veliparib": "C[C@]1(CCCN1)c1nc2c(C(N)=O)cccc2[nH]1",
}}


def targets_dir() -> Path:
    """The dockstring wheel's target folder (located without importing dockstring)."""
    spec = importlib.util.find_spec("dockstring")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("docking needs the dockstring package for its targets: pip install 'molgan[dock]'")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "targets"


def target_names() -> list[str]:
    return sorted(p.name[: -len("_target.pdbqt")] for p in targets_dir().glob("*_target.pdbqt"))


@dataclass(frozen=True)
class Target:
    """A receptor (PDBQT, rigid) and the box Vina searches, in Å."""

    name: str
    receptor: Path
    center: tuple[float, float, float]
    size: tuple[float, float, float]

    @cached_property
    def key(self) -> str:
        """Name, box and the receptor file's content: what a cached score depends on."""
        digest = hashlib.sha256(self.receptor.read_bytes()).hexdigest()[:16]
        box = ",".join(f"{v:g}" for v in (*self.center, *self.size))
        return f"{self.name}|{box}|{digest}"

    def __repr__(self) -> str:
        center = ", ".join(f"{v:.2f}" for v in self.center)
        size = " x ".join(f"{v:g}" for v in self.size)
        return f"Target({self.name!r}, center=({center}), box={size} Å)"


def read_box(path: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """center and size from a Vina config file (`center_x = 9.25` lines)."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        key, sep, value = line.partition("=")
        if not sep:
            continue
        try:
            values[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"{path}, line {number}: {value.strip()!r} is not a number") from None
    missing = [k for k in BOX_KEYS if k not in values]
    if missing:
        raise InputError(f"{path}: the box lacks {', '.join(missing)}")
    return tuple(values[k] for k in BOX_KEYS[:3]), tuple(values[k] for k in BOX_KEYS[3:])


def find_target(name: str) -> Target:
    """The dockstring target called `name` (case-insensitive: drd2 is DRD2)."""
    names = target_names()
    by_upper = {n.upper(): n for n in names}
    found = by_upper.get(name.strip().upper())
    if found is None:
        close = difflib.get_close_matches(name.strip().upper(), list(by_upper), n=3)
        hint = f"did you mean {', '.join(by_upper[c] for c in close)}?" if close else f"known: {', '.join(names)}"
        raise InputError(f"unknown docking target {name!r} ({hint})")
    folder = targets_dir()
    center, size = read_box(folder / f"{found}_conf.txt")
    return Target(found, folder / f"{found}_target.pdbqt", center, size)
