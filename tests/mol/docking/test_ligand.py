"""Ligand preparation: protonation states at pH 7.4 and reasons for what cannot be docked."""
import pytest

from molgan.mol.docking.ligand import LigandError, embed, protonate, to_pdbqt
from molgan.mol.docking.targets import find_target, read_box, target_names


@pytest.mark.parametrize("smiles, expected", [
    ("CCN", "CC[NH3+]"),  # primary amine, pKa ~10.7: protonated
    ("C1CCNCC1", "C1CC[NH2+]CC1"),  # piperidine
    ("CC(=O)O", "CC(=O)[O-]"),  # carboxylic acid, pKa ~4.8: deprotonated
    ("Nc1ccccc1", "Nc1ccccc1"),  # aniline, pKa ~4.6: neutral
    ("c1ccncc1", "c1ccncc1"),  # pyridine, pKa ~5.2: neutral
    ("CCO", "CCO"),
    # haloperidol: its piperidine nitrogen (pKa ~8.3) carries the charge
    ("O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1", "O=C(CCC[NH+]1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1"),
])
def test_protonation_at_physiological_ph(smiles, expected):
    from rdkit import Chem

    assert Chem.CanonSmiles(protonate(smiles, 7.4)) == Chem.CanonSmiles(expected)


def test_acid_stays_neutral_at_low_ph():
    assert protonate("CC(=O)O", 2.0) == "CC(=O)O"


def test_embedding_is_seeded_and_prepares_a_ligand():
    first, second = embed("CC(=O)Nc1ccc(O)cc1", seed=3), embed("CC(=O)Nc1ccc(O)cc1", seed=3)
    assert first.GetNumAtoms() == 20  # hydrogens added
    assert (first.GetConformer().GetPositions() == second.GetConformer().GetPositions()).all()
    pdbqt = to_pdbqt(first)
    assert "ROOT" in pdbqt and "TORSDOF" in pdbqt


@pytest.mark.parametrize("smiles, reason", [
    ("C1=CC2=CC=C1C2", "3D embedding failed"),  # a bridge too strained to place
    ("[Xe]", "no force-field parameters"),
    ("C[Se]C", "ligand preparation failed"),  # meeko has no AutoDock type for selenium
    ("CCO.CCN", "more than one fragment"),
])
def test_what_cannot_be_docked_says_why(smiles, reason):
    with pytest.raises(LigandError, match=reason):
        to_pdbqt(embed(smiles, seed=0))


def test_targets_come_from_the_dockstring_files():
    names = target_names()
    assert len(names) == 58 and "DRD2" in names and "EGFR" in names
    target = find_target("drd2")
    assert target.name == "DRD2" and target.receptor.is_file()
    assert target.center == (9.25, 6.167, -7.0) and target.size == (30.0, 30.0, 32.0)
    assert target.key.startswith("DRD2|9.25,6.167,-7,30,30,32|")


def test_unknown_target_suggests_close_names():
    from molgan.errors import InputError

    with pytest.raises(InputError, match=r"unknown docking target 'DRD9' \(did you mean DRD3, DRD2"):
        find_target("DRD9")


def test_box_file_errors_name_the_line(tmp_path):
    from molgan.errors import InputError

    conf = tmp_path / "X_conf.txt"
    conf.write_text("center_x = 1\ncenter_y = one\n")
    with pytest.raises(InputError, match=r"X_conf.txt, line 2: 'one' is not a number"):
        read_box(conf)
    conf.write_text("center_x = 1\n")
    with pytest.raises(InputError, match="the box lacks center_y, center_z, size_x"):
        read_box(conf)
