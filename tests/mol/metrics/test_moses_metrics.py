"""`molgan evaluate --reference moses`: the MOSES suite, every number recomputed here as
MOSES defines it (moses/metrics), straight from RDKit, scipy and fcd_torch, on a small
sample of the MOSES splits."""
import csv
import gzip
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, AllChem, Crippen, Descriptors, rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold
from rdkit.Contrib.SA_Score import sascorer
from scipy.spatial.distance import cosine
from scipy.stats import wasserstein_distance

# Drug-like molecules not in the sample, two PAINS hits (an ene-rhodanine and a catechol
# Mannich base... as RDKit's PAINS examples), a charged one, a macrocycle, an invalid row, a
# mixture (valid for MOSES, not for molgan) and repeats.
EXTRA = ["O=C1NC(=S)SC1=Cc1ccccc1", "Oc1ccc(cc1O)CN(C)C", "C[N+](C)(C)CCOC(=O)c1ccccc1", "C1CCCCCCCC1CCO",
         "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "not a molecule", "", "CCO.c1ccccc1NC(=O)C", "CC(=O)Nc1ccc(O)cc1",
         "CC(=O)Nc1ccc(O)cc1"]


def _rows(folder, split):
    with gzip.open(folder / "dataset" / "data" / f"{split}.csv.gz", "rt") as handle:
        return [row["SMILES"] for row in csv.DictReader(handle)]


def _mol(text):
    mol = Chem.MolFromSmiles(text) if text else None
    return mol if mol is not None and mol.GetNumAtoms() else None


def _canonical(text):
    mol = _mol(text)
    return Chem.MolToSmiles(mol, isomericSmiles=False) if mol is not None else None


def _fps(smiles):
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    return [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]


def _cosine_counts(a, b):
    keys = sorted(set(a) | set(b))
    return 1 - cosine([a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys])


def _fragments(smiles):
    return Counter(f for s in smiles for f in Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(Chem.MolFromSmiles(s)))
                   .split("."))


def _scaffolds(smiles):
    found = Counter()
    for s in smiles:
        core = MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(s))
        if core.GetRingInfo().NumRings() >= 2:
            found[Chem.MolToSmiles(core)] += 1
    return found


def _passes(smiles, alerts):
    mol = Chem.MolFromSmiles(smiles)
    if any(len(r) >= 8 for r in mol.GetRingInfo().AtomRings()):
        return False
    if any(a.GetFormalCharge() or a.GetSymbol() not in {"C", "N", "S", "O", "F", "Cl", "Br", "H"}
           for a in mol.GetAtoms()):
        return False
    h = Chem.AddHs(mol)
    return not any(h.HasSubstructMatch(p) for p in alerts)


@pytest.fixture
def generated(small_moses):
    train, test = _rows(small_moses, "train"), _rows(small_moses, "test")
    return train[:30] + test[:40] + EXTRA  # known, in the test split, new


def test_the_moses_suite_matches_moses_definitions(small_moses, generated, tmp_path, capsys, data_dir):
    from fcd_torch import FCD

    samples = tmp_path / "samples.csv"
    pd.DataFrame({"smiles": generated}).to_csv(samples, index=False)
    report_path = tmp_path / "report.json"
    code, out, err = run_cli(capsys, "evaluate", samples, "--reference", "moses", "-o", report_path, "--workers", 1)
    assert code == 0, err
    assert "MOSES suite" in out
    moses = json.loads(report_path.read_text())["moses"]

    valid = [c for c in map(_canonical, generated) if c]
    assert moses["valid"] == pytest.approx(len(valid) / len(generated))
    assert len(valid) == len(generated) - 2  # the mixture is valid here
    assert moses["unique@1000"] == pytest.approx(len(set(valid)) / len(valid))
    train = {_canonical(s) for s in _rows(small_moses, "train")}
    assert moses["Novelty"] == pytest.approx(len(set(valid) - train) / len(set(valid)))
    fps = _fps(valid)
    similarity = np.array([DataStructs.BulkTanimotoSimilarity(f, fps) for f in fps])
    assert moses["IntDiv"] == pytest.approx(1 - similarity.mean(), abs=1e-6)
    assert moses["IntDiv2"] == pytest.approx(1 - np.sqrt((similarity ** 2).mean(axis=1)).mean(), abs=1e-6)
    for split, name in (("test", "Test"), ("test_scaffolds", "TestSF")):
        reference = [_canonical(s) for s in _rows(small_moses, split)]
        assert moses[f"FCD/{name}"] == pytest.approx(FCD(device="cpu", n_jobs=1)(gen=valid, ref=reference),
                                                     rel=1e-4, abs=1e-4)
        ref_fps = _fps(reference)
        nearest = [max(DataStructs.BulkTanimotoSimilarity(f, ref_fps)) for f in fps]
        assert moses[f"SNN/{name}"] == pytest.approx(np.mean(nearest), abs=1e-6)
        assert moses[f"Frag/{name}"] == pytest.approx(_cosine_counts(_fragments(reference), _fragments(valid)))
        assert moses[f"Scaf/{name}"] == pytest.approx(_cosine_counts(_scaffolds(reference), _scaffolds(valid)))
    test = [_canonical(s) for s in _rows(small_moses, "test")]
    for name, function in (("logP", Crippen.MolLogP), ("SA", sascorer.calculateScore), ("QED", QED.qed),
                           ("weight", Descriptors.MolWt)):
        expected = wasserstein_distance([function(Chem.MolFromSmiles(s)) for s in valid],
                                        [function(Chem.MolFromSmiles(s)) for s in test])
        assert moses[name] == pytest.approx(expected, abs=1e-9), name

    metrics = small_moses / "metrics"
    patterns = list(pd.read_csv(metrics / "mcf.csv").smarts) + \
        list(pd.read_csv(metrics / "wehi_pains.csv", header=None)[0])
    alerts = [Chem.MolFromSmarts(p) for p in patterns]
    verdicts = {s: _passes(s, alerts) for s in set(valid)}
    assert moses["Filters"] == pytest.approx(np.mean([verdicts[s] for s in valid]))
    for failing in EXTRA[:4]:  # rhodanine and catechol (PAINS), a cation, a 9-ring
        assert verdicts[_canonical(failing)] is False, failing
    assert verdicts[_canonical("CC(C)Cc1ccc(cc1)C(C)C(=O)O")] is True


def test_unique_at_k_counts_the_first_k_valid_molecules():
    from molgan.mol.metrics.moses import unique_at

    valid = ["A"] * 3 + ["B", "C"] + ["D"] * 5
    assert unique_at(valid, 4) == pytest.approx(2 / 4)
    assert unique_at(valid, 1000) == pytest.approx(4 / 10)
