"""Training-step throughput of the molecule GAN on QM9 (CPU, one thread by default).

  OMP_NUM_THREADS=1 python scripts/bench_molgan_speed.py [--seconds 20]

Reports critic iterations/s (one critic step = real + generated forward, gradient penalty,
backward, Adam) and real molecules/s for: the MolGAN-pytorch default sizes (batch 16,
n_critic 5, z 8, generator 128-256-512, critic (128,64)/128/(128,64), WGAN-GP every critic
step; reference: that port runs ~85 it/s here), eager and with `train.compile`; then our
default config with the reward term on and off (issue #4 asks the reward to keep >= 70 % of
the rate). Variants run in alternating short windows (the box is shared and its load
drifts); rates are medians over windows, ratios medians of per-window ratios.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from molgan.core.config import build_config, merge, to_dict
from molgan.core.devices import resolve_precision
from molgan.core.trainer import Trainer
from molgan.mol.dataset import open_mol_dataset
from molgan.mol.task import MolRunConfig, MolTask

PORT_SIZES = {"model": {"latent_dim": 8, "generator_dims": [128, 256, 512], "conv_dims": [128, 64],
                        "readout_dim": 128, "head_dims": [128, 64], "minibatch_std": False,
                        "valence_feature": False, "valence_penalty": 0.0, "connectivity_penalty": 0.0},
              # The port's algorithm: WGAN-GP alone (our reward term is measured separately below).
              "train": {"batch_size": 16, "n_critic": 5, "adversarial_weight": 1.0}}


class Variant:
    """One configuration's trainer, warmed up, timed in short windows."""

    def __init__(self, name: str, overrides: dict, train, valid):
        self.name, self.rates = name, []
        config = build_config(MolRunConfig, base=merge(to_dict(MolRunConfig()), overrides))
        config.eval.fcd = False
        self.config = config
        task = MolTask(train, valid, config, torch.device("cpu"))
        self.trainer = Trainer(task, config.train, "/tmp/molgan-bench", torch.device("cpu"),
                               resolve_precision(torch.device("cpu"), "off"))
        start = time.perf_counter()
        for _ in range(3):  # warm-up (and, with train.compile, compiling)
            self.trainer.critic_step()
            self.trainer.generator_step()
        self.warmup = time.perf_counter() - start

    def window(self, seconds: float) -> None:
        n_critic, start, iterations = self.config.train.n_critic, time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            for k in range(n_critic):
                self.trainer.critic_step(train_objectives=k == n_critic - 1)
            self.trainer.generator_step()
            iterations += n_critic
        self.rates.append(iterations / (time.perf_counter() - start))

    def report(self) -> float:
        rate, batch = statistics.median(self.rates), self.config.train.batch_size
        print(f"{self.name:<40} batch {batch:>3}: {rate:7.1f} critic it/s, {rate * batch:7.0f} real mol/s"
              f"  (warm-up {self.warmup:.1f} s)")
        return rate


def interleaved(variants: list[Variant], seconds: float, rounds: int = 10) -> None:
    """Time each variant for `seconds` in `rounds` alternating windows, so that the shared
    box's load changes hit all of them alike; ratios are medians of per-round ratios."""
    for _ in range(rounds):
        for variant in variants:
            variant.window(seconds / rounds)


def ratio(a: Variant, b: Variant) -> float:
    return statistics.median(x / y for x, y in zip(a.rates, b.rates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="timed seconds per variant")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    train = open_mol_dataset("qm9", data_dir=args.data_dir, progress=False)
    valid = open_mol_dataset("qm9", data_dir=args.data_dir, split="valid", progress=False).smiles
    eager = Variant("MolGAN-pytorch sizes", PORT_SIZES, train, valid)
    compiled = Variant("MolGAN-pytorch sizes, train.compile", merge(PORT_SIZES, {"train": {"compile": True}}),
                       train, valid)
    interleaved([eager, compiled], args.seconds)
    for variant in (eager, compiled):
        print(f"  vs the port's ~85 it/s measured here: {variant.report() / 85:.2f}x (target >= 2x)")
    print(f"  train.compile: {ratio(compiled, eager):.2f}x eager (median of per-round ratios)")
    with_rl = Variant("default config (reward on, lambda 0.5)", {}, train, valid)
    without_rl = Variant("default, reward term off (lambda 1)", {"train": {"adversarial_weight": 1.0}}, train, valid)
    interleaved([with_rl, without_rl], args.seconds)
    with_rl.report()
    without_rl.report()
    print(f"  reward term keeps {100 * ratio(with_rl, without_rl):.0f} % of the step rate (target >= 70 %)")


if __name__ == "__main__":
    main()
