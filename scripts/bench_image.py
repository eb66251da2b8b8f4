"""Image translation benchmark: Pix2Pix, CycleGAN and SRGAN against their non-adversarial
baselines, on held-out digits, per seed (mean and worst).

  python scripts/bench_image.py --task pix2pix --seeds 0 1 2 --threads 2
  python scripts/bench_image.py --task cyclegan --seeds 0 1 2 --threads 2
  python scripts/bench_image.py --task srgan --seeds 0 1 2 --threads 2

Each seed trains the task's default (`molgan train --dataset mnist --set task=TASK`) and, for
Pix2Pix and SRGAN, the same generator for the same steps without a critic (L1 alone; MSE
alone, i.e. SRResNet). Every run is scored at its last step (not its best.pt, which the
held-out figures themselves chose) on the held-out split: Pix2Pix and SRGAN by L1, PSNR, SSIM
to the targets, the frozen MNIST classifier's accuracy on the outputs and the Fréchet distance
of its features to the training digits; CycleGAN by the share of translations whose digit the
target domain's classifier reads as the source's (label kept), the cycle L1 and the FD of
translations to the target domain. Baselines needing no training are scored once: bicubic
upsampling (SRGAN), the identity map and the nearest training image of the other domain in
pixel space (CycleGAN), and the held-out targets themselves (the floor). Seed 0's final
sample grid is copied to docs/images/TASK.png. Writes docs/results/image_TASK.json.
"""
from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, add_seed_arguments, aggregate, environment, measure_seeds, write_result  # noqa: E402
from bench_common import run_molgan as molgan  # noqa: E402

#: Each task's arms trained per seed: name -> settings over the task's default.
ARMS = {"pix2pix": {"gan": [], "l1": ["likelihood_steps=1000000"]},
        "cyclegan": {"gan": []},
        "srgan": {"gan": [], "mse": ["likelihood_steps=1000000"]}}
WORSE = {"l1": "max", "psnr": "min", "ssim": "min", "accuracy": "min", "classifier_fd": "max", "label_kept": "min",
         "label_kept_ab": "min", "label_kept_ba": "min", "fd_ab": "max", "fd_ba": "max", "cycle_l1": "max",
         "minutes": "max", "steps": "min"}


@functools.lru_cache(maxsize=None)  # data and classifiers read once per task, not once per run
def translation_task(task: str):
    """The task at its defaults, with its held-out scores (its classifiers read from, or
    trained into, the data folder)."""
    from molgan.core.config import from_dict
    from molgan.image.task import ImageRunConfig
    from molgan.image.translation.task import build_translation_task
    from molgan.image.translation.presets import TRANSLATION_PRESETS

    config = from_dict(ImageRunConfig, {**TRANSLATION_PRESETS[task], "model": {
        **TRANSLATION_PRESETS[task]["model"], "task": task}, "data": {"dataset": "mnist"}})
    return build_translation_task(config, torch.device("cpu"))


def score_run(run: Path, task: str) -> dict:
    from molgan.core.checkpoint import CheckpointManager
    from molgan.image.translation.apply import load_translator

    translator = load_translator(CheckpointManager(run).latest())
    summary = json.loads((run / "summary.json").read_text())
    figures = translation_task(task).scores.of_generator(translator.generator, torch.device("cpu"))
    return {**figures, "minutes": summary["minutes"], "steps": summary["step"]}


def measure_seed(out: Path, seed: int, args) -> dict:
    row: dict = {"seed": seed}
    for arm, settings in ARMS[args.task].items():
        run = out / f"{arm}-seed{seed}"
        if not args.skip_training:
            molgan("train", "--dataset", "mnist", "--out", str(run), "--overwrite", "--seed", str(seed),
                   *sum((["--set", s] for s in [f"task={args.task}", *settings, *args.sets]), []),
                   threads=args.threads)
        row[arm] = score_run(run, args.task)
    return row


def untrained_baselines(task: str) -> dict:
    """Figures of the ways to an output that need no training, and of the targets themselves."""
    from molgan.image.translation.data import upsample_bicubic

    built = translation_task(task)
    scores = built.scores
    held = scores.held_out
    baselines = {"targets": scores.reference()}
    if task == "srgan":
        baselines["bicubic"] = scores.figures(upsample_bicubic(held["sources"]))
    if task == "cyclegan":
        baselines["identity"] = scores.cycle_figures(to_b=held["a"], to_a=held["b"])
        train_a, train_b = built.data.tensors

        def nearest(images: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
            return pool[torch.cdist(images.flatten(1), pool.flatten(1)).argmin(1)]

        baselines["nearest"] = scores.cycle_figures(to_b=nearest(held["a"], train_b), to_a=nearest(held["b"], train_a))
    return baselines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=list(ARMS), required=True)
    add_seed_arguments(parser, "runs/bench-image", 0, samples_help="unused")
    args = parser.parse_args(argv)
    args.out = str(Path(args.out) / args.task)
    env = environment(threads=args.threads)
    seeds = measure_seeds(measure_seed, args)
    summary = {arm: aggregate([s[arm] for s in seeds], WORSE) for arm in ARMS[args.task]}
    grid = Path(args.out) / "gan-seed0" / "samples" / "latest.png"
    figure = ROOT / "docs" / "images" / f"{args.task}.png"
    if 0 in args.seeds and grid.is_file():
        figure.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(grid, figure)
    command = (f"python scripts/bench_image.py --task {args.task} --seeds {' '.join(map(str, args.seeds))} "
               f"--threads {args.threads} --jobs {args.jobs}" + "".join(f" --set {s}" for s in args.sets))
    write_result(f"docs/results/image_{args.task}.json", {
        "benchmark": f"image_{args.task}", "command": command, **env, "arms": ARMS[args.task],
        "seeds": seeds, "summary": summary, "untrained": untrained_baselines(args.task),
        "figure": str(figure.relative_to(ROOT)) if figure.is_file() else None})
    return 0


if __name__ == "__main__":
    sys.exit(main())
