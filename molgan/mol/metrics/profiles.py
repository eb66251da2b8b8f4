"""Per-molecule numbers the evaluation needs, computed once per unique SMILES.

A `Profiles` table holds, for each molecule: QED, logP, SA, MW (MOSES property
distances); GuacaMol's nine physico-chemical descriptors; Morgan radius-2 fingerprints at
1,024 bits (MOSES IntDiv / SNN) and 4,096 bits (GuacaMol nearest-neighbour similarity);
BRICS fragments and the Bemis-Murcko scaffold (MOSES Frag / Scaf); the medicinal-chemistry
filters' verdicts (Lipinski, PAINS, Brenk, MCF); simple structure counts
(heavy atoms, bonds by order, rings) that say *how* a sample differs when its FCD is high.
RDKit-only work, so it runs in worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgan.mol.chem.medchem import MedChem, screen
from molgan.mol.chem.properties import PROPERTIES, properties_and_verdicts
from molgan.mol.metrics.filters import passes_moses_filters
from molgan.mol.metrics.similarity import BitSets

#: GuacaMol's KL benchmark: four continuous descriptors, then five integer-valued ones.
KL_CONTINUOUS = ("BertzCT", "MolLogP", "MolWt", "TPSA")
KL_DISCRETE = ("NumHAcceptors", "NumHDonors", "NumRotatableBonds", "NumAliphaticRings", "NumAromaticRings")
#: Per-molecule structure counts (means are reported beside the reference's).
STRUCTURE = ("heavy_atoms", "double_bonds", "triple_bonds", "aromatic_atoms", "rings", "small_rings", "fsp3")
FP_BITS = 1024  # MOSES: Morgan radius 2, 1,024 bits
KL_FP_BITS = 4096  # GuacaMol: ECFP4, 4,096 bits
#: MOSES counts a scaffold only when it has at least this many rings.
SCAFFOLD_MIN_RINGS = 2


@dataclass
class Profiles:
    smiles: list[str] = field(default_factory=list)
    properties: np.ndarray = field(default_factory=lambda: np.zeros((0, len(PROPERTIES))))
    descriptors: np.ndarray = field(default_factory=lambda: np.zeros((0, 9)))
    structure: np.ndarray = field(default_factory=lambda: np.zeros((0, len(STRUCTURE))))
    fingerprints: list[np.ndarray] = field(default_factory=list)
    kl_fingerprints: list[np.ndarray] = field(default_factory=list)
    fragments: list[list[str]] = field(default_factory=list)
    scaffolds: list[str | None] = field(default_factory=list)
    passes_filters: list[bool] = field(default_factory=list)  # MOSES Filters; empty unless asked for
    medchem: list[MedChem] = field(default_factory=list)  # Lipinski and alerts (molgan/mol/chem/medchem.py)

    def __len__(self) -> int:
        return len(self.smiles)

    def head(self, count: int) -> "Profiles":
        """The first `count` molecules' profiles."""
        return Profiles(self.smiles[:count], self.properties[:count], self.descriptors[:count],
                        self.structure[:count], self.fingerprints[:count], self.kl_fingerprints[:count],
                        self.fragments[:count], self.scaffolds[:count], self.passes_filters[:count],
                        self.medchem[:count])

    @classmethod
    def concatenate(cls, parts: Sequence["Profiles"]) -> "Profiles":
        out = cls()
        for part in parts:
            out.smiles += part.smiles
            out.fingerprints += part.fingerprints
            out.kl_fingerprints += part.kl_fingerprints
            out.fragments += part.fragments
            out.scaffolds += part.scaffolds
            out.passes_filters += part.passes_filters
            out.medchem += part.medchem
        if parts:
            out.properties = np.concatenate([p.properties for p in parts])
            out.descriptors = np.concatenate([p.descriptors for p in parts])
            out.structure = np.concatenate([p.structure for p in parts])
        return out

    def bitsets(self, kl: bool = False) -> BitSets:
        return BitSets.from_lists(self.kl_fingerprints if kl else self.fingerprints,
                                  KL_FP_BITS if kl else FP_BITS)


def scaffold(mol: Chem.Mol) -> str | None:
    try:
        core = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    text = Chem.MolToSmiles(core)
    return text if text and core.GetRingInfo().NumRings() >= SCAFFOLD_MIN_RINGS else None


def structure_counts(mol: Chem.Mol) -> tuple[float, ...]:
    """The `STRUCTURE` numbers of one molecule; bond orders counted in its Kekulé form."""
    kekule = Chem.Mol(mol)
    Chem.Kekulize(kekule, clearAromaticFlags=True)
    orders = [bond.GetBondType() for bond in kekule.GetBonds()]
    rings = mol.GetRingInfo().AtomRings()
    return (mol.GetNumAtoms(), orders.count(Chem.BondType.DOUBLE), orders.count(Chem.BondType.TRIPLE),
            sum(atom.GetIsAromatic() for atom in mol.GetAtoms()), len(rings),
            sum(len(ring) <= 4 for ring in rings), rdMolDescriptors.CalcFractionCSP3(mol))


def fragments(mol: Chem.Mol) -> list[str]:
    return Chem.MolToSmiles(Chem.FragmentOnBRICSBonds(mol)).split(".")


def profile_molecules(smiles: Sequence[str], moses_filters: bool = False) -> Profiles:
    """Profiles of valid canonical SMILES (each must parse); `moses_filters`: also MOSES'
    Filters verdict (molgan/mol/metrics/filters.py)."""
    RDLogger.DisableLog("rdApp.*")
    morgan = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=FP_BITS)
    ecfp4 = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=KL_FP_BITS)
    functions = {name: getattr(Descriptors, name) for name in KL_CONTINUOUS + KL_DISCRETE}
    out = Profiles(smiles=list(smiles))
    properties, descriptors, structure = [], [], []
    for text in smiles:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            raise ValueError(f"not a valid SMILES: {text!r}")
        # the molecule with explicit hydrogens, and its screen, serve MCF and MOSES' PAINS
        with_hydrogens = Chem.AddHs(mol)
        hydrogens_screen = screen(with_hydrogens)
        measured, verdicts = properties_and_verdicts(mol, with_hydrogens, hydrogens_screen)  # (QED, logP, SA, MW)
        properties.append(measured)
        out.medchem.append(verdicts)
        shared = {"MolLogP": measured[1], "MolWt": measured[3]}
        values = np.array([shared[name] if name in shared else f(mol) for name, f in functions.items()],
                          dtype=np.float64)
        descriptors.append(np.where(np.isfinite(values), values, 0.0))
        structure.append(structure_counts(mol))
        out.fingerprints.append(np.array(list(morgan.GetFingerprint(mol).GetOnBits()), dtype=np.int64))
        out.kl_fingerprints.append(np.array(list(ecfp4.GetFingerprint(mol).GetOnBits()), dtype=np.int64))
        out.fragments.append(fragments(mol))
        out.scaffolds.append(scaffold(mol))
        if moses_filters:
            out.passes_filters.append(passes_moses_filters(mol, verdicts.mcf, with_hydrogens, hydrogens_screen,
                                                           parsed_from=text))
    out.properties = np.array(properties, dtype=np.float64).reshape(-1, len(PROPERTIES))
    out.descriptors = np.array(descriptors, dtype=np.float64).reshape(-1, len(functions))
    out.structure = np.array(structure, dtype=np.float64).reshape(-1, len(STRUCTURE))
    return out
