import os

# The box is shared: one BLAS/torch thread keeps tests fast and deterministic.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty dataset cache directory, also set as $MOLGAN_DATA_DIR."""
    path = tmp_path / "cache"
    monkeypatch.setenv("MOLGAN_DATA_DIR", str(path))
    return path


_QM9_CACHE: list = []  # the one private QM9 cache of this test run


@pytest.fixture
def qm9_cache(tmp_path_factory):
    """QM9 processed into a private cache once per test run, however many tests ask."""
    from molgan.mol.data.dataset import open_mol_dataset

    if not _QM9_CACHE:
        root = tmp_path_factory.mktemp("qm9-cache")
        open_mol_dataset("qm9", data_dir=root, progress=False)
        _QM9_CACHE.append(root)
    return _QM9_CACHE[0]


@pytest.fixture
def mols_csv(tmp_path):
    """A CSV of 64 small molecules (MOLECULES four times)."""
    from helpers import MOLECULES

    path = tmp_path / "mols.csv"
    path.write_text("smiles\n" + "\n".join(MOLECULES * 4) + "\n")
    return path


@pytest.fixture
def small_csv_and_env(tmp_path, data_dir):
    """A CSV of 24 small molecules and the environment of a `python -m molgan` child."""
    from helpers import MOLECULES, subprocess_env

    molecules = tmp_path / "mols.csv"
    molecules.write_text("smiles\n" + "\n".join(MOLECULES[:8] * 3) + "\n")
    return molecules, subprocess_env(data_dir)


@pytest.fixture
def autoregressive_run(tmp_path, capsys, data_dir, mols_csv):
    """A tiny autoregressive generator trained 2 steps on `mols_csv`: a source for `--init`."""
    from helpers import TINY_AUTOREGRESSIVE, TINY_MOL

    out = tmp_path / "source"
    code, _, err = run_cli(capsys, "train", "--dataset", mols_csv, "--out", out, "--max-steps", 2, *TINY_MOL,
                           *TINY_AUTOREGRESSIVE)
    assert code == 0, err
    return out


def run_cli(capsys, *argv):
    """Run `molgan argv...`; return (exit code, stdout, stderr)."""
    from molgan.cli import main

    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def straight_and_resumed(capsys, tmp_path, dataset, settings, stop: int, end: int) -> tuple[dict, dict]:
    """The step-`end` checkpoints of a run trained straight to `end` and of one stopped at
    `stop` and resumed to `end`, with the same settings."""
    from molgan.core.checkpoint import load_checkpoint

    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert run_cli(capsys, "train", "--dataset", dataset, "--out", straight, "--max-steps", end, *settings)[0] == 0
    assert run_cli(capsys, "train", "--dataset", dataset, "--out", resumed, "--max-steps", stop, *settings)[0] == 0
    code, _, err = run_cli(capsys, "train", "--out", resumed, "--resume", "--max-steps", end)
    assert code == 0, err
    assert f"step-{stop:07d}.pt at step {stop}" in err, err  # resumed where it stopped, not from step 0
    return tuple(load_checkpoint(run / "checkpoints" / f"step-{end:07d}.pt") for run in (straight, resumed))


def pytest_report_header(config):
    """CI output names the versions it ran with: drift in a dependency shows in the log."""
    from molgan.cli import versions

    return "molgan versions: " + ", ".join(f"{k} {v}" for k, v in versions().items())


MOSES_FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "moses")


@pytest.fixture
def small_moses(tmp_path, monkeypatch):
    """`--dataset moses` and `--reference moses` on a small sample of the molsets wheel's
    splits (tests/fixtures/moses: 800 / 200 / 200 rows), with the wheel's own alert files."""
    import shutil

    from molgan.mol.data import sources

    folder = tmp_path / "moses"
    shutil.copytree(MOSES_FIXTURE, folder)
    (folder / "metrics").mkdir()
    real = sources.moses_folder()  # the installed wheel
    for name in ("mcf.csv", "wehi_pains.csv"):
        shutil.copy(real / "metrics" / name, folder / "metrics" / name)
    monkeypatch.setattr(sources, "moses_folder", lambda: folder)
    monkeypatch.setattr(sources, "MOSES_SIZES", {"train": 800, "test": 200, "test_scaffolds": 200})
    return folder
