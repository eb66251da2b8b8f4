"""Both report notebooks run headless, top to bottom, on the small committed fixtures."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook extra not installed: pip install -e '.[notebooks]'")
nbclient = pytest.importorskip("nbclient")

from helpers import FIXTURES, ROOT  # noqa: E402


def execute(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "notebooks are committed without outputs"
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    return notebook


def outputs(notebook, kind: str) -> list:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
            if kind in o.get("data", {})]


def test_validity_novelty_report_prints_what_molgan_evaluate_says(tmp_path, monkeypatch, capsys, data_dir):
    import json

    from conftest import run_cli

    from molgan.mol.metrics.evaluation import METRICS, PERCENT_METRICS

    samples, reference = FIXTURES / "samples_small.csv", FIXTURES / "reference_small.csv"
    monkeypatch.setenv("MOLGAN_SAMPLES", str(samples))
    monkeypatch.setenv("MOLGAN_REFERENCE", str(reference))
    notebook = execute("validity_novelty_report.ipynb", tmp_path)
    code, _, err = run_cli(capsys, "evaluate", samples, "--reference", reference, "-o", tmp_path / "r.json")
    assert code == 0, err
    expected = json.loads((tmp_path / "r.json").read_text())
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for o in cell.outputs if o.get("output_type") == "stream")
    counts = f"{expected['rows']} rows, {expected['valid']} valid, {expected['unique']} distinct valid molecules"
    assert counts in printed
    texts = [o["data"]["text/plain"] for o in outputs(notebook, "text/plain")]
    table = next(text for text in texts if "Validity" in text)
    lines = {line.split()[0]: line for line in table.splitlines()[2:] if line.strip()}
    for key, label, _ in METRICS:
        value = expected[key]
        shown = ("n/a" if value is None else f"{100 * value:.1f} %" if key in PERCENT_METRICS
                 else f"{value:.3f}")
        assert shown in lines[label.split()[0]], (label, shown, lines[label.split()[0]])
    reasons = "".join(text for text in texts if "rows" in text)
    for reason, count in expected["invalid_reasons"].items():
        assert reason in reasons
    assert len(outputs(notebook, "image/png")) >= 4  # reasons, histograms, best molecules, neighbours


def test_training_curves_shows_the_runs_logged_steps_and_evaluations(tmp_path, monkeypatch):
    import csv
    import math

    run = FIXTURES / "run_small"
    monkeypatch.setenv("MOLGAN_RUN", str(run))
    notebook = execute("training_curves.ipynb", tmp_path)
    assert len(outputs(notebook, "image/png")) >= 2
    # What metrics.csv holds, read here with the csv module.
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    steps = sorted({int(r["step"]) for r in rows})
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for o in cell.outputs if o.get("output_type") == "stream")
    assert f"{len(steps)} logged steps, last step {steps[-1]}" in printed, printed
    columns = ("validity", "uniqueness", "novelty", "raw_validity", "fcd")
    evaluations = {int(r["step"]): [float(r[c]) if r[c] else math.nan for c in columns] for r in rows
                   if r["validity"] or r["fcd"]}
    assert len(evaluations) >= 2
    table = next(text for text in (o["data"]["text/plain"] for o in outputs(notebook, "text/plain"))
                 if "raw_validity" in text and "fcd" in text)
    shown = {}
    for line in table.splitlines():
        fields = line.split()
        if fields and fields[0].isdigit():
            shown[int(fields[0])] = [float(v) for v in fields[1:]]
    assert shown.keys() == evaluations.keys(), (shown.keys(), evaluations.keys())
    for step, values in evaluations.items():
        for name, expected, got in zip(columns, values, shown[step]):
            assert (math.isnan(expected) and math.isnan(got)) or abs(expected - got) < 6e-4, (step, name, got)
