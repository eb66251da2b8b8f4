"""`molgan evaluate`: every number recomputed here independently, straight from RDKit,
scipy and fcd_torch, the way a reader of the CSV would check them."""
import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, AllChem, Crippen, Descriptors, Lipinski, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams
from rdkit.Chem.Scaffolds import MurckoScaffold
from rdkit.Contrib.SA_Score import sascorer
from scipy.stats import entropy, gaussian_kde, wasserstein_distance

from molgan.mol.data.sources import moses_file, read_qm9

GENERATED_EXTRA = ["", "C1CC", "CC.O", "C(C)(C)(C)(C)C", "C[C@H](N)O", "CC(N)O", "CCCCCCO", "c1ccncc1",
                   "OC1CC2CC1C2", "CC1(C)CC1C#N", "O=C1CCCN1", "NC(=O)c1ccco1", "CC1CC2(C)OC12", "",
                   "O=C1NC(=S)SC1=Cc1ccccc1", "C" * 40, "CCCCC=O"]  # a PAINS hit, a rule-of-five failure, MCF7


@pytest.fixture(scope="module")
def qm9_sample():
    return read_qm9().smiles[::997]  # 132 molecules spread over QM9


@pytest.fixture
def files(tmp_path, qm9_sample):
    reference = tmp_path / "reference.csv"
    reference.write_text("smiles\n" + "\n".join(qm9_sample[:100]) + "\n")
    generated = qm9_sample[90:132] + qm9_sample[95:100] + GENERATED_EXTRA  # known, new, repeats, invalid
    samples = tmp_path / "samples.csv"
    samples.write_text("smiles,valid\n" + "\n".join(f"{s},1" for s in generated) + "\n")
    return samples, reference, generated, qm9_sample[:100]


def _canonical(text):
    mol = Chem.MolFromSmiles(text) if text else None
    if mol is None or len(Chem.GetMolFrags(mol)) > 1:
        return None
    return Chem.MolToSmiles(mol, isomericSmiles=False)


def _bits(smiles, size):
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=size)
    return [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]


def _cosine(a, b):
    keys = set(a) | set(b)
    va, vb = np.array([a.get(k, 0) for k in keys]), np.array([b.get(k, 0) for k in keys])
    return float(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb))


def _scaffold(smiles):
    core = MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(smiles))
    return Chem.MolToSmiles(core) if core.GetRingInfo().NumRings() >= 2 else None


def _kl_continuous(p, q):
    grid = np.linspace(min(p.min(), q.min()), max(p.max(), q.max()), 1000)
    return entropy(gaussian_kde(p)(grid) + 1e-10, gaussian_kde(q)(grid) + 1e-10)


def _kl_discrete(p, q):
    hp, edges = np.histogram(p, bins=10, density=True)
    hq, _ = np.histogram(q, bins=edges, density=True)
    return entropy(hp + 1e-10, hq + 1e-10)


def _nearest(smiles):
    fps = _bits(smiles, 4096)
    return np.array([max(DataStructs.BulkTanimotoSimilarity(f, fps[:i] + fps[i + 1:])) for i, f in enumerate(fps)])


def test_every_metric_matches_an_independent_recomputation(tmp_path, capsys, files, data_dir):
    from fcd_torch import FCD

    samples, reference, generated, ref_smiles = files
    report_path = tmp_path / "report.json"
    code, out, err = run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", report_path)
    assert code == 0, err
    report = json.loads(report_path.read_text())
    assert "Validity" in out and "FCD" in out

    canonical = [_canonical(s) for s in generated]
    valid = [s for s in canonical if s]
    ref = [_canonical(s) for s in ref_smiles]
    assert report["rows"] == len(generated)
    assert report["validity"] == pytest.approx(len(valid) / len(generated))
    assert report["uniqueness"] == pytest.approx(len(set(valid)) / len(valid))
    assert report["novelty"] == pytest.approx(len(set(valid) - set(ref)) / len(set(valid)))
    assert report["invalid_reasons"] == {"empty": 2, "unparsable": 2, "disconnected": 1}
    assert report["fcd"] == pytest.approx(FCD(device="cpu", n_jobs=1)(gen=valid, ref=ref), rel=1e-4, abs=1e-4)

    fps, ref_fps = _bits(valid, 1024), _bits(ref, 1024)
    pairs = [np.mean(DataStructs.BulkTanimotoSimilarity(f, fps)) for f in fps]
    assert report["intdiv"] == pytest.approx(1 - np.mean(pairs), abs=1e-6)
    assert report["snn"] == pytest.approx(np.mean([max(DataStructs.BulkTanimotoSimilarity(f, ref_fps)) for f in fps]),
                                          abs=1e-6)
    brics = lambda s: Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(Chem.MolFromSmiles(s))).split(".")  # noqa: E731
    frags = lambda smiles: Counter(f for s in smiles for f in brics(s))  # noqa: E731
    assert report["frag"] == pytest.approx(_cosine(frags(ref), frags(valid)), abs=1e-9)
    scafs = lambda smiles: Counter(x for x in map(_scaffold, smiles) if x)  # noqa: E731
    expected_scaf = _cosine(scafs(ref), scafs(valid)) if scafs(ref) and scafs(valid) else None
    assert report["scaf"] == (pytest.approx(expected_scaf, abs=1e-9) if expected_scaf is not None else None)
    props = {"qed": QED.qed, "logp": Crippen.MolLogP, "sa": sascorer.calculateScore, "mw": Descriptors.MolWt}
    for name, function in props.items():
        expected = wasserstein_distance([function(Chem.MolFromSmiles(s)) for s in valid],
                                        [function(Chem.MolFromSmiles(s)) for s in ref])
        assert report["wasserstein"][name] == pytest.approx(expected, abs=1e-9), name

    def structure(text):  # the same counts by other RDKit routes
        mol = Chem.MolFromSmiles(text)
        kekule = Chem.Mol(mol)
        Chem.Kekulize(kekule, clearAromaticFlags=True)
        orders = [b.GetBondTypeAsDouble() for b in kekule.GetBonds()]
        return [Lipinski.HeavyAtomCount(mol), orders.count(2.0), orders.count(3.0), len(mol.GetAromaticAtoms()),
                rdMolDescriptors.CalcNumRings(mol), sum(len(r) <= 4 for r in Chem.GetSymmSSSR(mol)),
                Lipinski.FractionCSP3(mol)]

    expected_structure = np.mean([structure(s) for s in valid], axis=0)
    reference_structure = np.mean([structure(s) for s in ref], axis=0)
    assert len(report["structure"]) == len(expected_structure)
    for (name, values), mine, theirs in zip(report["structure"].items(), expected_structure, reference_structure):
        assert values["generated"] == pytest.approx(mine, abs=1e-9), name
        assert values["reference"] == pytest.approx(theirs, abs=1e-9), name
    assert "per molecule, generated (reference): heavy atoms" in out

    params = FilterCatalogParams()
    for catalog in ("PAINS_A", "PAINS_B", "PAINS_C"):
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, catalog))
    pains = FilterCatalog(params)
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.BRENK)
    brenk = FilterCatalog(params)
    mcf = [Chem.MolFromSmarts(p) for p in pd.read_csv(moses_file("metrics/mcf.csv")).smarts]
    mols = [Chem.MolFromSmiles(s) for s in valid]
    violations = [sum((Descriptors.MolWt(m) > 500, Crippen.MolLogP(m) > 5, Lipinski.NumHDonors(m) > 5,
                       Lipinski.NumHAcceptors(m) > 10)) for m in mols]
    expected_passing = {"lipinski": np.mean([v <= 1 for v in violations]),
                        "pains": np.mean([not pains.HasMatch(m) for m in mols]),
                        "brenk": np.mean([not brenk.HasMatch(m) for m in mols]),
                        "mcf": np.mean([not any(Chem.AddHs(m).HasSubstructMatch(p) for p in mcf) for m in mols])}
    assert all(0 < share < 1 for share in expected_passing.values())  # each filter dropped something here
    assert report["filters_passed"] == pytest.approx(expected_passing, abs=1e-12)
    assert "valid molecules passing" in out

    unique = list(dict.fromkeys(valid))
    names = ["BertzCT", "MolLogP", "MolWt", "TPSA", "NumHAcceptors", "NumHDonors", "NumRotatableBonds",
             "NumAliphaticRings", "NumAromaticRings"]
    ref_unique = list(dict.fromkeys(ref))
    divergences = {}
    for i, name in enumerate(names):
        function = getattr(Descriptors, name)
        p = np.array([function(Chem.MolFromSmiles(s)) for s in ref_unique], dtype=float)
        q = np.array([function(Chem.MolFromSmiles(s)) for s in unique], dtype=float)
        divergences[name] = _kl_continuous(p, q) if i < 4 else _kl_discrete(p, q)
    divergences["internal_similarity"] = _kl_continuous(_nearest(ref_unique), _nearest(unique))
    for name, value in divergences.items():
        assert report["kl_divergence"][name] == pytest.approx(value, rel=1e-6, abs=1e-9), name
    assert report["kl_score"] == pytest.approx(np.mean([math.exp(-d) for d in divergences.values()]), abs=1e-9)


def test_parallel_scoring_equals_single_process(monkeypatch, qm9_sample):
    import molgan.mol.metrics.evaluation as evaluation

    smiles = [_canonical(s) for s in qm9_sample[:60]]
    chemnet = evaluation.ChemNet()
    table = {"table": evaluation.profile_molecules(smiles[::-2]).bitsets()}
    one_profiles, one_nearest, one_acts, _ = evaluation.profile_with_activations(smiles, chemnet, workers=1,
                                                                                 nearest_in=table)
    monkeypatch.setattr(evaluation, "_PARALLEL_MIN", 10)
    monkeypatch.setattr(evaluation, "_CHUNK", 16)
    two_profiles, two_nearest, two_acts, _ = evaluation.profile_with_activations(smiles, chemnet, workers=2,
                                                                                 nearest_in=table)
    assert two_profiles.smiles == one_profiles.smiles
    # half the molecules are in the table: their nearest similarity is 1
    assert np.sum(one_nearest["table"] == 1.0) >= len(smiles) // 2
    np.testing.assert_array_equal(two_nearest["table"], one_nearest["table"])
    np.testing.assert_allclose(two_acts, one_acts, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(two_profiles.properties, one_profiles.properties)
    assert two_profiles.fragments == one_profiles.fragments


def test_reference_statistics_are_cached_and_reused(tmp_path, capsys, files, data_dir):
    samples, reference, *_ = files
    first = tmp_path / "a.json"
    assert run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", first)[0] == 0
    caches = list((data_dir / "references").glob("*.pt"))
    assert len(caches) == 1
    second = tmp_path / "b.json"
    assert run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", second)[0] == 0
    strip = lambda path: {k: v for k, v in json.loads(path.read_text()).items() if k != "seconds"}  # noqa: E731
    assert strip(first) == strip(second)


def test_qm9_reference_is_train_split_for_novelty_and_test_split_for_distributions(monkeypatch, qm9_cache):
    import molgan.mol.metrics.reference as reference
    from molgan.mol.data.dataset import open_mol_dataset

    seen = {}

    def fake_build(name, known, distribution, chemnet, workers=1, progress=False):
        seen.update(known=known, distribution=distribution)
        raise SystemExit  # the wiring is what is under test; building takes a minute

    monkeypatch.setattr(reference, "build_reference", fake_build)
    with pytest.raises(SystemExit):
        reference.load_reference("qm9", qm9_cache, chemnet=object())
    train = open_mol_dataset("qm9", data_dir=qm9_cache, progress=False)
    test = open_mol_dataset("qm9", data_dir=qm9_cache, split="test", progress=False)
    assert seen["known"] == frozenset(train.smiles)
    assert seen["distribution"] == list(test.smiles)


def test_collapsed_samples_still_give_a_report(tmp_path, capsys, files, data_dir):
    _, reference, *_ = files
    samples = tmp_path / "one.smi"
    samples.write_text("CCO\n" * 20)
    report_path = tmp_path / "r.json"
    assert run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", report_path)[0] == 0
    report = json.loads(report_path.read_text())
    assert report["uniqueness"] == pytest.approx(1 / 20) and report["intdiv"] == pytest.approx(0.0)
    assert report["kl_score"] is None and report["fcd"] is not None


@pytest.mark.parametrize("case", ["missing", "no_column", "empty", "latin1", "bad_reference", "output_dir",
                                  "workers"])
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, files, data_dir, case):
    samples, reference, *_ = files
    output = tmp_path / "report.json"
    argv = ["evaluate", samples, "--reference", reference, "-o", output]
    if case == "missing":
        argv[1] = tmp_path / "nope.csv"
    elif case == "no_column":
        argv[1] = tmp_path / "x.csv"
        argv[1].write_text("name,score\na,1\n")
    elif case == "empty":
        argv[1] = tmp_path / "x.csv"
        argv[1].write_text("")
    elif case == "latin1":
        argv[1] = tmp_path / "x.csv"
        argv[1].write_bytes("smiles\nCCO\nC\xe9\n".encode("latin-1"))
    elif case == "bad_reference":
        argv[3] = tmp_path / "ref.csv"
        argv[3].write_text("smiles\nnot_a_molecule\n")
    elif case == "output_dir":
        argv[5] = output = tmp_path
    elif case == "workers":
        argv += ["--workers", "0"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("molgan: error:") and "Traceback" not in err
    assert case == "output_dir" or not output.exists()


def test_invalid_rows_are_broken_down_by_the_files_own_reasons(tmp_path, capsys, files, data_dir):
    _, reference, *_ = files
    samples = tmp_path / "s.csv"
    samples.write_text("smiles,valid,reason\nCCO,1,\n,0,disconnected\n,0,valence\nCC.O,1,\n,0,disconnected\nCCN,1,\n")
    report_path = tmp_path / "r.json"
    assert run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", report_path)[0] == 0
    report = json.loads(report_path.read_text())
    assert report["validity"] == pytest.approx(2 / 6)  # recomputed: the file's "valid" column is not trusted
    assert report["invalid_reasons"] == {"disconnected": 3, "valence": 1}


def test_chemnet_activations_in_chunks_equal_one_call(monkeypatch):
    from molgan.mol.metrics import chemnet as module

    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "CCN", "OCC(O)CO", "C#N", "CC1CC1"]
    chemnet = module.ChemNet()
    whole = chemnet.fcd.get_predictions(smiles)
    monkeypatch.setattr(module, "_CHEMNET_CHUNK", 3)
    chunked = chemnet.activations(smiles)
    assert chunked.shape == (7, 512) and np.allclose(chunked, whole, atol=1e-5)
    assert chemnet.activations([]).shape == (0, 512)
