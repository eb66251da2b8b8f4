"""Both report notebooks run headless, top to bottom, on the small committed fixtures."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook extra not installed: pip install -e '.[notebooks]'")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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


def test_validity_novelty_report_runs_on_a_samples_file(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("MOLGAN_SAMPLES", str(FIXTURES / "samples_small.csv"))
    monkeypatch.setenv("MOLGAN_REFERENCE", str(FIXTURES / "reference_small.csv"))
    notebook = execute("validity_novelty_report.ipynb", tmp_path)
    text = "".join(o["data"]["text/plain"] for o in outputs(notebook, "text/plain"))
    assert "Validity" in text and "disconnected" in text
    assert len(outputs(notebook, "image/png")) >= 4  # reasons, histograms, best molecules, neighbours


def test_training_curves_runs_on_a_run_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLGAN_RUN", str(FIXTURES / "run_small"))
    notebook = execute("training_curves.ipynb", tmp_path)
    assert len(outputs(notebook, "image/png")) >= 2
