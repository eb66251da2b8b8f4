"""The pharmacophore term: 2D pharmacophore-fingerprint similarity to reference ligands."""
import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.mol.rewards.functions import RewardFunction
from molgan.mol.rewards.pharmacophore import PharmacophoreSimilarity, read_reference

HALOPERIDOL = "O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1"


def test_similarity_reads_features_not_atoms():
    term = PharmacophoreSimilarity([HALOPERIDOL])
    # bromine for chlorine changes no pharmacophore feature; the references score 1 themselves
    bromo = Chem.MolFromSmiles(HALOPERIDOL.replace("Cl", "Br"))
    scores = term([Chem.MolFromSmiles(HALOPERIDOL), bromo, Chem.MolFromSmiles("CCO"), None])
    assert scores[0] == pytest.approx(1.0) and scores[1] == pytest.approx(1.0)
    assert scores[2] < 0.2 and scores[3] == 0.0


def test_the_largest_similarity_to_any_reference_counts():
    clozapine = "CN1CCN(CC1)C1=Nc2cc(Cl)ccc2Nc2ccccc12"
    alone = PharmacophoreSimilarity([HALOPERIDOL])([Chem.MolFromSmiles(clozapine)])[0]
    both = PharmacophoreSimilarity([HALOPERIDOL, clozapine])([Chem.MolFromSmiles(clozapine)])[0]
    assert alone < 0.5 and both == pytest.approx(1.0)


def test_the_term_multiplies_the_reward():
    reward = RewardFunction("qed,pharmacophore", reference=[HALOPERIDOL])
    plain = RewardFunction("qed")
    assert reward([HALOPERIDOL])[0] == pytest.approx(plain([HALOPERIDOL])[0])
    assert reward(["CCO"])[0] < plain(["CCO"])[0]
    with pytest.raises(ValueError, match="at least one reference ligand"):
        RewardFunction("qed,pharmacophore")


def test_a_bad_reference_row_is_named(tmp_path):
    path = tmp_path / "actives.smi"
    path.write_text(f"{HALOPERIDOL} haloperidol\nC1CC\n")
    with pytest.raises(InputError, match=r"actives.smi, line 2: not a valid SMILES: 'C1CC'"):
        read_reference(path)
    with pytest.raises(InputError, match="missing.smi: no such file"):
        read_reference(tmp_path / "missing.smi")
    path.write_text(f"# actives\n{HALOPERIDOL} haloperidol\n")
    assert read_reference(path) == [Chem.MolToSmiles(Chem.MolFromSmiles(HALOPERIDOL))]
