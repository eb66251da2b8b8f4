"""Pix2Pix, CycleGAN and SRGAN through `molgan train` and `molgan sample --input`: a few steps
each on tiny networks, resumed bit-exact, outputs written for a folder of images."""
import numpy as np
import pytest
import torch
from conftest import run_cli
from PIL import Image

from molgan.core.checkpoint import load_checkpoint

pytest.importorskip("mlxtend")
pytest.importorskip("sklearn")

TINY = ["--set", "width=4", "--set", "critic_width=4", "--set", "blocks=1", "--set", "batch_size=4",
        "--set", "eval_every=2", "--set", "sample_every=2", "--set", "checkpoint_every=2", "--set", "log_every=1",
        # A run stopped at step 2 of a schedule that decays to its last step is not the first half
        # of a 4-step run: a constant rate makes the two comparable step for step.
        "--set", "lr_schedule=constant"]
#: SRGAN's steps: one on MSE alone, then adversarial ones.
PHASES = {"pix2pix": [], "cyclegan": [], "srgan": ["--set", "likelihood_steps=1"]}
FIGURES = {"pix2pix": "ssim", "cyclegan": "label_kept_ab", "srgan": "psnr"}


@pytest.fixture(scope="module")
def image_data(tmp_path_factory):
    """One data folder for the module: each domain's classifiers are trained once."""
    path = tmp_path_factory.mktemp("image-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOLGAN_DATA_DIR", str(path))
        yield path


def _weights(path):
    return load_checkpoint(path)["generator"]


@pytest.mark.parametrize("task", ["pix2pix", "cyclegan", "srgan"])
def test_a_translation_run_trains_resumes_exactly_and_translates_a_folder(task, tmp_path, capsys, image_data):
    args = ["train", "--dataset", "mnist", "--set", f"task={task}", *TINY, *PHASES[task]]
    code, _, err = run_cli(capsys, *args, "--out", tmp_path / "straight", "--max-steps", 4)
    assert code == 0, err
    straight = tmp_path / "straight"
    metrics = (straight / "metrics.csv").read_text()
    assert FIGURES[task] in metrics and "classifier_fd" in metrics
    assert (straight / "samples" / "latest.png").is_file()
    assert load_checkpoint(straight / "checkpoints" / "step-0000004.pt")["task"]["task"] == task
    # Killed after step 2 and resumed: the same weights at step 4, to the last bit.
    assert run_cli(capsys, *args, "--out", tmp_path / "resumed", "--max-steps", 2)[0] == 0
    code, _, err = run_cli(capsys, *args, "--out", tmp_path / "resumed", "--max-steps", 4, "--resume")
    assert code == 0, err
    mine, theirs = (_weights(p / "checkpoints" / "step-0000004.pt") for p in (straight, tmp_path / "resumed"))
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)

    inputs = tmp_path / "inputs"
    (inputs / "more").mkdir(parents=True)
    for name in ("a.png", "more/b.jpg"):
        Image.fromarray((np.random.default_rng(0).random((20, 20)) * 255).astype(np.uint8)).save(inputs / name)
    direction = ["--direction", "ab"] if task == "cyclegan" else []
    if task == "cyclegan":  # both ways are trained: the direction must be said
        code, _, err = run_cli(capsys, "sample", straight, "--input", inputs, "-o", tmp_path / "none")
        assert code == 2 and "--direction ab" in err and not (tmp_path / "none").exists()
    code, _, err = run_cli(capsys, "sample", straight, "--input", inputs, "-o", tmp_path / "out", *direction)
    assert code == 0, err
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png"))
    assert written == ["a.png", "more/b.png"]
    with Image.open(tmp_path / "out" / "a.png") as image:
        assert image.size == (28, 28) and image.mode == "L"
    code, _, err = run_cli(capsys, "sample", straight, "--input", inputs, "-o", tmp_path / "out", *direction)
    assert code == 2 and "already exists" in err


def test_the_baselines_train_without_a_critic(tmp_path, capsys, image_data):
    # Pix2Pix's U-Net on L1 alone: every step a likelihood step, no critic built or saved.
    code, _, err = run_cli(capsys, "train", "--dataset", "mnist", "--set", "task=pix2pix", *TINY,
                           "--set", "likelihood_steps=2", "--out", tmp_path / "l1", "--max-steps", 2)
    assert code == 0, err
    assert "no critic" in err
    assert load_checkpoint(tmp_path / "l1" / "checkpoints" / "step-0000002.pt")["discriminator"] is None


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "synthetic", "--set", "reconstruction_weight=1"], "needs a translation task"),
    (["--dataset", "synthetic", "--set", "task=pix2pix"], "built from the MNIST digits"),
])
def test_translation_settings_that_cannot_work_are_refused(argv, message, tmp_path, capsys, image_data):
    code, _, err = run_cli(capsys, "-q", "train", *argv, "--out", tmp_path / "run", "--max-steps", 1)
    assert code == 2 and message in err and err.count("\n") == 1
