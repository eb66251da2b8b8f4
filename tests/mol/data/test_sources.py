import gzip

import pytest

from molgan.errors import InputError
from molgan.mol.data.sources import QM9_SIZE, read_qm9, read_smiles_file


def test_qm9_comes_from_the_package_offline():
    records = read_qm9()
    assert len(records) == QM9_SIZE == 130_831
    assert records.smiles[0] == "C" and records.lines[:2] == [1, 2]


@pytest.mark.parametrize("header", ["smiles", "SMILES", "canonical_smiles", "Smiles"])
def test_csv_smiles_column_found_by_name(tmp_path, header):
    path = tmp_path / "mols.csv"
    path.write_text(f"id,{header},value\n1,CCO,0.5\n2,c1ccccc1,1.0\n")
    records = read_smiles_file(path)
    assert records.smiles == ["CCO", "c1ccccc1"] and records.lines == [2, 3]


def test_csv_named_column_gz_and_bom(tmp_path):
    path = tmp_path / "mols.csv.gz"
    path.write_bytes(gzip.compress("\ufeffname,structure\na,CCN\nb,CCC\n".encode()))
    assert read_smiles_file(path, smiles_column="structure").smiles == ["CCN", "CCC"]


def test_smi_file_with_header_names_comments_and_blank_lines(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("SMILES Name\nCCO ethanol\n\n# a comment\nc1ccccc1\tbenzene\n")
    records = read_smiles_file(path)
    assert records.smiles == ["CCO", "c1ccccc1"] and records.lines == [2, 5]


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "file is empty"),
    ("blank.smi", b"  \n\n", "file is empty"),
    ("binary.csv", b"smiles\n\x00\x01\x02\x89PNG", "not a text file"),
    ("latin1.csv", "smiles,name\nCCO,caf\xe9\n".encode("latin-1"), "not UTF-8 text (bad byte at line 2)"),
    ("nocol.csv", b"name,value\na,1\n", "no SMILES column (columns: name, value)"),
    ("header_only.csv", b"smiles\n", "no SMILES rows"),
    ("bad.csv.gz", b"this is not gzip", "not a valid gzip file"),
    ("mols.sdf", b"whatever", "unsupported file type"),
])
def test_bad_files_raise_one_clear_input_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_smiles_file(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_requested_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("smiles\nCC\n")
    with pytest.raises(InputError, match="no column 'SMILES_X'"):
        read_smiles_file(path, smiles_column="SMILES_X")
