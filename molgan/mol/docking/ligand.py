"""A SMILES string -> a Vina ligand (PDBQT), and a docked pose -> an SDF record.

Route: protonation at the set pH (dimorphite_dl), hydrogens, a seeded ETKDGv3 embedding,
an MMFF clean-up (UFF where MMFF lacks parameters), then meeko's rotatable-bond and atom
typing. Each step raises `LigandError` with a reason a user can act on.
"""
from __future__ import annotations

from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem


class LigandError(Exception):
    """This molecule cannot be docked by this route; the message says why."""


def protonate(smiles: str, ph: float) -> str:
    """The dominant protonation state at `ph` (dimorphite_dl's most likely variant)."""
    from dimorphite_dl import protonate_smiles

    try:
        variants = protonate_smiles(smiles, ph_min=ph, ph_max=ph, max_variants=1)
    except Exception as exc:
        raise LigandError(f"protonation failed ({type(exc).__name__}: {exc})") from None
    if not variants:
        raise LigandError(f"no protonation state at pH {ph}")
    return variants[0]


#: Embedding attempts of each of ETKDG's two tries (RDKit's default: 10 per atom, hydrogens
#: included). A strained ring system that cannot be embedded spent them all, 6-18 s on one
#: core, where a drug-like molecule embeds at its first attempt in 0.03 s (docs/experiments.md).
EMBED_ATTEMPTS = 100


def embed(smiles: str, seed: int) -> Chem.Mol:
    """3D coordinates with hydrogens: ETKDGv3 (seeded), then a force-field clean-up."""
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise LigandError("not a valid SMILES")
    if len(Chem.GetMolFrags(mol)) > 1:
        raise LigandError("more than one fragment")
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    params.maxIterations = EMBED_ATTEMPTS
    if AllChem.EmbedMolecule(mol, params) != 0:
        params.useRandomCoords = True  # the usual fallback for strained or large ring systems
        if AllChem.EmbedMolecule(mol, params) != 0:
            raise LigandError("3D embedding failed")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=500)
    elif AllChem.UFFHasAllMoleculeParams(mol):
        AllChem.UFFOptimizeMolecule(mol, maxIters=500)
    else:
        raise LigandError("no force-field parameters (MMFF, UFF) for an atom")
    return mol


def to_pdbqt(mol: Chem.Mol) -> str:
    """meeko's Vina ligand (torsion tree, AutoDock atom types) of an embedded molecule."""
    from meeko import MoleculePreparation, PDBQTWriterLegacy

    try:
        setups = MoleculePreparation().prepare(mol)
    except Exception as exc:  # meeko rejects what it cannot type; its message names the atom
        raise LigandError(f"ligand preparation failed ({type(exc).__name__}: {exc})") from None
    pdbqt, ok, message = PDBQTWriterLegacy.write_string(setups[0])
    if not ok:
        raise LigandError(f"ligand preparation failed ({message.strip() or 'PDBQT writer'})")
    return pdbqt


def pose_molblock(poses_pdbqt: str, title: str) -> str | None:
    """The best pose of Vina's output as an MDL molblock with hydrogens (None if meeko
    cannot rebuild the molecule from it)."""
    from meeko import PDBQTMolecule, RDKitMolCreate

    try:
        mols = RDKitMolCreate.from_pdbqt_mol(PDBQTMolecule(poses_pdbqt, skip_typing=True))
    except Exception:
        return None
    if not mols or mols[0] is None or mols[0].GetNumConformers() == 0:
        return None
    mol = mols[0]
    mol.SetProp("_Name", title)
    return Chem.MolToMolBlock(mol, confId=mol.GetConformers()[0].GetId())
