"""`molgan report`: one self-contained HTML page, rendered by a real browser (headless
Chromium: Debian's chromium-headless-shell or chromium; .ci/run installs it)."""
import os
import re
import shutil
import subprocess

import pytest
from conftest import run_cli
from helpers import FIXTURES
from rdkit import Chem

pytest.importorskip("nbconvert", reason="notebook extra not installed: pip install -e '.[notebooks]'")
BROWSER = shutil.which("chromium-headless-shell") or shutil.which("chromium")
REQUIRED = os.environ.get("MOLGAN_BROWSER_REQUIRED") == "1"  # set by .ci/run, which installs it


def _browser(*argv, page):
    if BROWSER is None:
        if REQUIRED:
            pytest.fail("no headless Chromium found (chromium-headless-shell or chromium)")
        pytest.skip("no headless Chromium: apt-get install chromium-headless-shell")
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
               "--virtual-time-budget=5000", *argv, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=page.parent)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from molgan.cli import main

    folder = tmp_path_factory.mktemp("report")
    out = folder / "report.html"
    code = main(["report", str(FIXTURES / "samples_small.csv"), "--run", str(FIXTURES / "run_small"),
                 "--reference", str(FIXTURES / "reference_small.csv"), "--data-dir", str(folder / "data"),
                 "-o", str(out)])
    assert code == 0
    return out


def _distinct_valid(path):
    import csv

    molecules = (Chem.MolFromSmiles(row["smiles"]) if row["smiles"] else None for row in csv.DictReader(path.open()))
    return {Chem.MolToSmiles(m, isomericSmiles=False) for m in molecules
            if m is not None and len(Chem.GetMolFrags(m)) == 1}


def test_the_page_is_self_contained(page):
    html = page.read_text()
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|import\(\s*["']https?://""", html)
    assert html.count("<img") >= 4 and "data:image/png;base64," in html  # figures inline
    for heading in ("Why molecules were invalid", "Properties: generated vs reference", "Medicinal-chemistry filters",
                    "Training curves", "All molecules: sort and filter"):
        assert heading in html, heading
    assert "No docking scores in this file" in html  # a sampled file, not a docked one


def test_a_browser_renders_the_page_without_script_errors(page):
    shot = page.parent / "shot.png"
    result = _browser("--screenshot=" + str(shot), "--window-size=1280,4000", page=page)
    assert shot.is_file(), result.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("RGB").resize((320, 1000))
    assert len(set(image.get_flattened_data())) > 50  # drawings, plots and text, not a blank page
    assert not _script_errors(result), result.stderr[-2000:]


def _script_errors(result) -> list[str]:
    """The console lines of a browser run that report a script error."""
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return [line for line in console if "Uncaught" in line or "Error" in line]


def test_the_console_check_catches_a_script_error(tmp_path):
    """The check above can fail: a page whose script throws is caught by it."""
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><p>text</p><script>undefinedFunction();</script></body></html>")
    assert _script_errors(_browser("--dump-dom", page=broken))
    fine = tmp_path / "fine.html"
    fine.write_text("<html><body><p>text</p><script>document.title = 'ok';</script></body></html>")
    assert not _script_errors(_browser("--dump-dom", page=fine))


def test_the_grid_shows_every_molecule_and_its_controls_work(page):
    expected = len(_distinct_valid(FIXTURES / "samples_small.csv"))
    assert expected >= 5
    dom = _browser("--dump-dom", page=page).stdout
    assert dom.count('class="mol-cell"') == expected
    assert f"showing {expected} of {expected} molecules" in dom  # the grid's script ran
    # The same page with its range filter set: the script hides what is outside it.
    html = page.read_text().replace('data-role="min"', 'data-role="min" value="0.5"')
    filtered = page.parent / "filtered.html"
    filtered.write_text(html)
    dom = _browser("--dump-dom", page=filtered).stdout
    qed = [float(v) for v in re.findall(r'data-qed="([0-9.e+-]+)"', dom)]
    kept = sum(v >= 0.5 for v in qed)
    assert 0 < kept < expected and f"showing {kept} of {expected} molecules" in dom


@pytest.mark.parametrize("case", ["empty", "no_run"])
def test_bad_input_is_one_line_exit_2_and_no_page(tmp_path, capsys, case):
    out = tmp_path / "report.html"
    samples = FIXTURES / "samples_small.csv"
    argv = ["report", samples, "-o", out]
    if case == "empty":
        samples = tmp_path / "empty.csv"
        samples.write_text("smiles\n")
        argv[1] = samples
        message = "no SMILES rows"
    else:
        argv += ["--run", tmp_path]
        message = "not a run directory"
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_a_docked_file_is_compared_with_a_virtual_screen(tmp_path, capsys):
    import pandas as pd

    columns = ["smiles", "docking_score", "docking_status", "docking_reason", "docked_smiles", "docking_target"]
    rows = {"docked.csv": [("O=C(CCCN1CCC(O)(c2ccc(Cl)cc2)CC1)c1ccc(F)cc1", -10.8), ("c1ccccc1O", -5.0)],
            "screen.csv": [("CCOc1cccc(C(=O)Nc2ccn(Cc3ccccn3)n2)c1", -8.9), ("CCO", -3.1)]}
    for name, scored in rows.items():
        pd.DataFrame([(s, v, "ok", "", s, "DRD2") for s, v in scored], columns=columns).to_csv(tmp_path / name,
                                                                                             index=False)
    out = tmp_path / "report.html"
    code, _, err = run_cli(capsys, "report", tmp_path / "docked.csv", "--screen", FIXTURES / "samples_small.csv",
                           "--reference", FIXTURES / "reference_small.csv", "-o", out)
    assert code == 2 and "samples_small.csv: not a molgan dock output" in err and not out.exists(), err
    code, _, err = run_cli(capsys, "report", tmp_path / "docked.csv", "--screen", tmp_path / "screen.csv",
                           "--reference", FIXTURES / "reference_small.csv", "--data-dir", tmp_path / "data",
                           "-o", out)
    assert code == 0, err
    html = out.read_text()
    assert "virtual screen" in html and "best 10 hits, mean" in html and "-10.8" in html
