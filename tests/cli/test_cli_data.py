import json

import pytest
from conftest import run_cli
from helpers import TINY


def test_help_and_version(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "data" in out
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.startswith("molgan ")


def test_data_info_prints_the_summary(tmp_path, capsys, data_dir):
    path = tmp_path / "mols.csv"
    path.write_text("name,SMILES\na,CCO\nb,C[N+](=O)[O-]\nc,c1ccccc1\nd,junk\n")
    code, out, err = run_cli(capsys, "data", "info", "--dataset", path)
    assert code == 0, err
    assert "molecules   3" in out and "atom types  C 9, N+ 1, O- 1, O 2" in out
    assert "bond types  single 4, double 1, triple 0, aromatic 6" in out  # benzene: aromatic bonds
    assert "line 5: unparsable SMILES" in err
    code, out, _ = run_cli(capsys, "data", "info", "--dataset", path, "--json")
    summary = json.loads(out)
    assert summary["num_molecules"] == 3 and summary["max_atoms"] == 6


BAD = [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "file is empty"),
    ("binary.smi", b"\x00\x01\x02\x03", "not a text file"),
    ("latin1.csv", "smiles\nC\xe9\n".encode("latin-1"), "not UTF-8 text"),
    ("nocol.csv", b"a,b\n1,2\n", "no SMILES column"),
    ("junk.csv", b"smiles\nfoo\nbar\n", "no parsable molecule in 2 rows"),
    ("dir.csv", "DIR", "not a regular file"),
]


@pytest.mark.parametrize("name, content, message", BAD)
def test_bad_input_is_one_line_exit_2_and_no_cache(tmp_path, capsys, data_dir, name, content, message):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    code, out, err = run_cli(capsys, "data", "info", "--dataset", path)
    assert code == 2
    assert err.count("\n") == 1 and message in err and str(path) in err
    assert "Traceback" not in err and out == ""
    assert not data_dir.exists() or list(data_dir.iterdir()) == []


@pytest.mark.parametrize("argv, message", [
    (["data", "info"], "required: --dataset"),
    (["data", "info", "--dataset", "qm9", "--max-atoms", "0"], "--max-atoms must be at least 1"),
    (["data", "info", "--dataset", "qm9", "--max-atoms", "nine"], "invalid int value"),
    (["data", "info", "--dataset", "qm9", "--atom-types", "C,Qq"], "invalid atom type 'Qq'"),
    (["nosuchcommand"], "invalid choice"),
])
def test_bad_usage_is_one_line_exit_2(capsys, data_dir, argv, message):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_data_info_builds_the_cache_that_training_uses(tmp_path, capsys, data_dir, small_moses):
    # MOSES' preset trains on kekulized graphs: `data info` opens (and builds) that cache.
    code, out, err = run_cli(capsys, "data", "info", "--dataset", "moses", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["options"]["aromatic"] is False and "aromatic" not in summary["bond_counts"]
    run = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "--dataset", "moses", "--out", run, "--max-steps", 1, *TINY)
    assert code == 0, err
    assert len(list(data_dir.glob("moses-*"))) == 1  # no second cache built
