"""The bad-input corpus (tests/bad_inputs.txt): every malformed input, in every command,
is one clear error line with the right exit code, and no file anywhere changes."""
import os
import shlex
import shutil
from pathlib import Path

import pytest
import torch
from conftest import run_cli
from helpers import FIXTURES, TESTS

TINY_MOL = ["--set", "batch_size=8", "--set", "n_critic=1", "--set", "eval_every=2", "--set", "samples=20",
            "--set", "generator_dims=[16]", "--set", "conv_dims=[8]", "--set", "readout_dim=8",
            "--set", "head_dims=[8]", "--set", "checkpoint_every=2", "--set", "fcd=false"]
MOLECULES = ["CCO", "CC(=O)O", "c1ccccc1", "CCN", "C#N", "NCC(=O)O", "OCC(O)CO", "CC(C)=O"]


def _cases():
    for number, line in enumerate((TESTS / "bad_inputs.txt").read_text().splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            code, message, argv = (part.strip() for part in line.split("|", 2))
            yield pytest.param(int(code), message, argv, id=f"line{number}:{argv.split()[0]}")


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling would create the marker file: proof that code ran
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Bad files, a good CSV, a dataset cache and a trained run, built once."""
    base = tmp_path_factory.mktemp("bad-inputs")
    previous = os.environ.get("MOLGAN_DATA_DIR")
    os.environ["MOLGAN_DATA_DIR"] = str(base / "data")
    try:
        inputs = base / "in"
        shutil.copytree(FIXTURES / "bad", inputs)
        good = base / "good.csv"
        good.write_text("smiles\n" + "\n".join(MOLECULES * 3) + "\n")
        run = base / "run"
        from molgan.cli import main

        assert main(["-q", "train", "--dataset", str(good), "--out", str(run), "--max-steps", "2", *TINY_MOL]) == 0
        conditioned = base / "qed-run"
        assert main(["-q", "train", "--dataset", str(good), "--out", str(conditioned), "--max-steps", "2",
                     "--set", "condition=qed", "--set", "condition_pretrain_steps=10", *TINY_MOL]) == 0
        image_run = base / "image-run"
        assert main(["-q", "train", "--dataset", "synthetic", "--out", str(image_run), "--max-steps", "1",
                     "--set", "kind=mlp", "--set", "width=4", "--set", "batch_size=8"]) == 0
        checkpoint = run / "checkpoints" / "step-0000002.pt"
        (inputs / "truncated.pt").write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
        shutil.copy(next((image_run / "checkpoints").glob("step-*.pt")), inputs / "image.pt")
        torch.save({"format": "molgan-checkpoint", "format_version": 1, "x": _Payload(inputs / "pwned")},
                   inputs / "hostile.pt")
        yield {"in": inputs, "good": good, "run": run, "qrun": conditioned, "out": base / "out", "base": base}
    finally:
        if previous is None:
            os.environ.pop("MOLGAN_DATA_DIR", None)
        else:
            os.environ["MOLGAN_DATA_DIR"] = previous


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None
            for p in root.rglob("*")}


def test_the_corpus_is_large_enough():
    assert len(list(_cases())) >= 25


@pytest.mark.parametrize("code, message, argv", list(_cases()))
def test_bad_input(world, capsys, code, message, argv):
    args = [a.format(**{k: str(v) for k, v in world.items()}) for a in shlex.split(argv)]
    before = _snapshot(world["base"])
    exit_code, _, err = run_cli(capsys, *args)
    assert exit_code == code, err
    # Progress and INFO lines may come first (a resume logs its dataset); then one error line.
    errors = [line for line in err.splitlines() if " error: " in line]
    assert len(errors) == 1 and err.rstrip("\n").endswith(errors[0]) and "Traceback" not in err, err
    assert message in errors[0], err
    assert _snapshot(world["base"]) == before  # no output, no cache entry, no partial file, run untouched
