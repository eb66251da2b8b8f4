"""`molgan dock` and `molgan.dock`: files in, files out, errors in one line."""
import csv
import re

import pytest
from conftest import run_cli
from rdkit import Chem

from molgan.mol.docking.cache import DockingCache
from molgan.mol.docking.config import DockConfig
from molgan.mol.docking.targets import find_target


def _molblock(smiles):
    from rdkit.Chem import AllChem

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(mol, randomSeed=0)
    return Chem.MolToMolBlock(mol)


@pytest.fixture
def seeded_cache(tmp_path):
    """A cache holding exhaustiveness-1 DRD2 results for three molecules (no Vina needed)."""
    path = tmp_path / "cache.sqlite"
    cache = DockingCache(path)
    key, settings = find_target("DRD2").key, DockConfig(exhaustiveness=1).settings_key()
    for smiles, score in (("CCO", -2.9), ("Oc1ccccc1", -5.2), ("CC(=O)Nc1ccc(O)cc1", -6.4)):
        cache.put(key, settings, smiles, {"score": score, "docked_smiles": smiles, "pose": _molblock(smiles),
                                          "seconds": 1.0})
    cache.put(key, settings, "C1=CC2=CC=C1C2", {"reason": "3D embedding failed"})
    cache.close()
    return path


def test_dock_keeps_the_input_columns_and_writes_poses(tmp_path, capsys, seeded_cache):
    samples = tmp_path / "samples.csv"
    samples.write_text("smiles,qed\nOCC,0.41\nc1ccccc1O,0.44\n,\nC1=CC2=CC=C1C2,0.3\nCC(=O)Nc1ccc(O)cc1,0.6\n")
    out = tmp_path / "docked.csv"
    code, stdout, err = run_cli(capsys, "dock", samples, "--target", "drd2", "-o", out, "--cache", seeded_cache,
                                "--set", "dock.exhaustiveness=1")
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert [r["qed"] for r in rows] == ["0.41", "0.44", "", "0.3", "0.6"]
    assert [r["docking_score"] for r in rows] == ["-2.9", "-5.2", "", "", "-6.4"]
    assert [r["docking_status"] for r in rows] == ["ok", "ok", "invalid", "failed", "ok"]
    assert rows[3]["docking_reason"] == "3D embedding failed"
    assert "DRD2 (exhaustiveness 1): 5 rows, 3 scored (4 from the cache); 1 failed (3D embedding failed: 1); " \
           "1 invalid; best -6.40 kcal/mol" in stdout
    from rdkit import Chem

    poses = list(Chem.SDMolSupplier(str(tmp_path / "docked.sdf"), removeHs=False))
    assert [(p.GetProp("smiles"), p.GetProp("docking_score"), p.GetProp("row")) for p in poses] == [
        ("CCO", "-2.900", "1"), ("Oc1ccccc1", "-5.200", "2"), ("CC(=O)Nc1ccc(O)cc1", "-6.400", "5")]


def test_dock_end_to_end_with_vina(tmp_path, capsys):
    samples = tmp_path / "hits.smi"
    samples.write_text("CCO ethanol\nCC(=O)O acetic acid\n")
    out = tmp_path / "docked.csv"
    code, stdout, err = run_cli(capsys, "dock", samples, "--target", "DRD2", "-o", out, "--poses", "none",
                                "--cache", "none", "--set", "exhaustiveness=1", "--set", "workers=1")
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert [r["docked_smiles"] for r in rows] == ["CCO", "CC(=O)[O-]"]
    assert all(-5.0 < float(r["docking_score"]) < 0.0 for r in rows)
    assert not (tmp_path / "docked.sdf").exists()


@pytest.mark.parametrize("args, message", [
    (["--target", "DRD9"], "unknown docking target 'DRD9' (did you mean"),
    (["--target", "DRD2", "--set", "exhaustiveness=0"], "dock.exhaustiveness must be at least 1, got 0"),
    (["--target", "DRD2", "--set", "dock.speed=3"], "unknown config key 'dock.speed'"),
    (["--target", "DRD2", "--set", "scheduler=localhost"], "dock.scheduler must be an address"),
    (["--target", "DRD2", "-o", "docked.smi"], "the docked molecules are written as CSV"),
])
def test_bad_settings_are_one_line_and_write_nothing(tmp_path, capsys, args, message):
    samples = tmp_path / "s.csv"
    samples.write_text("smiles\nCCO\n")
    out = tmp_path / "docked.csv"
    code, _, err = run_cli(capsys, "dock", samples, "-o", out, *args)
    out = tmp_path / args[args.index("-o") + 1] if "-o" in args else out
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_a_corrupt_cache_is_one_line_and_writes_nothing(tmp_path, capsys):
    samples = tmp_path / "s.csv"
    samples.write_text("smiles\nCCO\n")
    cache = tmp_path / "cache.sqlite"
    cache.write_bytes(b"\x00garbage" * 500)
    out = tmp_path / "docked.csv"
    code, _, err = run_cli(capsys, "dock", samples, "--target", "DRD2", "-o", out, "--cache", cache)
    assert code == 2 and err == (f"molgan: error: {cache}: not a usable docking cache (file is not a database); "
                                 "move it aside or choose another with --cache\n")
    assert not out.exists() and cache.read_bytes() == b"\x00garbage" * 500


def test_api_dock_returns_a_frame(seeded_cache):
    import molgan

    frame = molgan.dock(["CCO", None, "c1ccccc1O"], target="DRD2", exhaustiveness=1, cache=seeded_cache)
    assert list(frame.docking_status) == ["ok", "invalid", "ok"]
    assert frame.docking_score.iloc[0] == -2.9 and frame.docking_score.isna().iloc[1]
    assert list(frame.cached) == [True, False, True] and "V2000" in frame.pose.iloc[0]
    with pytest.raises(molgan.errors.InputError, match="dock.timeout must be positive"):
        molgan.dock(["CCO"], timeout=0, cache=False)


def test_the_report_of_a_docked_file_shows_its_docking(tmp_path, capsys, seeded_cache):
    pytest.importorskip("nbconvert", reason="notebook extra not installed: pip install -e '.[notebooks]'")
    import shutil

    from molgan.mol.docking.targets import KNOWN_LIGANDS

    # the known ligand scored in the cache (at exhaustiveness 8), as `molgan dock` would leave it
    cache = DockingCache(seeded_cache)
    cache.put(find_target("DRD2").key, DockConfig(exhaustiveness=8).settings_key(),
              Chem.MolToSmiles(Chem.MolFromSmiles(KNOWN_LIGANDS["DRD2"]["haloperidol"])), {"score": -10.9})
    cache.close()
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(seeded_cache, data / "docking.sqlite")
    samples = tmp_path / "samples.csv"
    samples.write_text("smiles\nOCC\nc1ccccc1O\nCC(=O)Nc1ccc(O)cc1\nC1=CC2=CC=C1C2\n")
    docked = tmp_path / "docked.csv"
    assert run_cli(capsys, "dock", samples, "--target", "DRD2", "-o", docked, "--cache", data / "docking.sqlite",
                   "--set", "exhaustiveness=1")[0] == 0
    page = tmp_path / "report.html"
    code, _, err = run_cli(capsys, "report", docked, "--reference", samples, "--data-dir", data, "-o", page)
    assert code == 0, err
    html = page.read_text()
    section = html[html.index('id="Docking"'):html.index('id="Training-curves"')]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    for shown in ("best (kcal/mol) -6.4", "drug-like hits (QED ≥ 0.5, SA ≤ 4, no PAINS) 2",
                  "failed 1: 3D embedding failed (1)", "0 CC(=O)Nc1ccc(O)cc1 -6.4", "haloperidol",
                  f"Best poses: {tmp_path / 'docked.sdf'}"):
        assert shown in text, shown
    assert re.search(r"haloperidol \S+ -10\.9 8\.0", text)  # its cached score at exhaustiveness 8
    assert section.count("<img") >= 3  # the histogram, the hits, the known ligands
