"""The Python API gives what the command line gives: `molgan.load(...).sample` the rows of
`molgan sample`, `molgan.evaluate` the report of `molgan evaluate -o`."""
import csv
import json

import pandas as pd
import pytest
from conftest import run_cli
from helpers import FIXTURES, TINY_MOL

import molgan
from molgan.errors import InputError


@pytest.fixture
def trained(tmp_path, capsys, data_dir, mols_csv):
    out = tmp_path / "run"
    assert run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL)[0] == 0
    return out


def test_load_and_sample_match_molgan_sample(trained, tmp_path, capsys):
    path = tmp_path / "s.csv"
    code, _, err = run_cli(capsys, "sample", trained, "-n", 60, "-o", path, "--seed", 3)
    assert code == 0, err
    # The headline never shows corrected validity alone: the output layer's and none at all beside it.
    assert "the output layer's graphs" in err and "without correction" in err
    generator = molgan.load(trained)
    assert generator.path.name == "best.pt" and "step=2" in repr(generator)
    frame = generator.sample(60, seed=3)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(frame.columns) == list(rows[0])
    assert frame.smiles.tolist() == [r["smiles"] for r in rows]
    assert frame.valid.tolist() == [int(r["valid"]) for r in rows]
    assert frame.reason.tolist() == [r["reason"] for r in rows]
    raw = generator.sample(60, seed=3, decode="raw")
    code, _, _ = run_cli(capsys, "sample", trained, "-n", 60, "-o", path, "--seed", 3, "--decode", "raw")
    assert raw.smiles.tolist() == [r["smiles"] for r in csv.DictReader(open(path, newline=""))]
    # Without correction, the MLP generator's graphs are each pair's argmax: no layer, no repair.
    uncorrected = generator.sample(60, seed=3, decode="uncorrected")
    assert uncorrected.smiles.tolist() == generator.sample(60, seed=3, decode="argmax").smiles.tolist()
    with pytest.raises(InputError, match="decode must be one of"):
        generator.sample(5, decode="repaired")


def test_evaluate_matches_molgan_evaluate(tmp_path, capsys, data_dir):
    samples = FIXTURES / "samples_small.csv"
    reference = FIXTURES / "reference_small.csv"
    report_path = tmp_path / "r.json"
    code, _, err = run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", report_path, "--workers", 1)
    assert code == 0, err
    from_cli = json.loads(report_path.read_text())
    smiles = pd.read_csv(samples, keep_default_na=False).smiles.tolist()
    from_api = molgan.evaluate(smiles, reference=str(reference), workers=1)
    for key in ("samples", "seconds"):  # what the command adds: its input file and its time
        from_cli.pop(key)
    from_cli.pop("invalid_reasons"), from_api.pop("invalid_reasons")  # the CLI reads the file's reason column
    assert _close(from_api, from_cli)


def _close(a, b) -> bool:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
        return True
    assert a == b
    return True
