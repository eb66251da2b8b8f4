"""Training-step throughput of the molecule GAN on QM9 (CPU, one thread by default).

  OMP_NUM_THREADS=1 python scripts/bench_molgan_speed.py [--seconds 20]

Reports critic iterations/s (one critic step = real + generated forward, gradient penalty,
backward, Adam) and real molecules/s for: the MolGAN-pytorch default sizes (batch 16,
n_critic 5, z 8, generator 128-256-512, critic (128,64)/128/(128,64), WGAN-GP every critic
step; reference: that port runs ~85 it/s here), our default config (reward term on) and the
same with the reward term off (issue #4 asks the reward to keep >= 70 % of the rate).
Medians of 5 windows.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from molgan.core.devices import resolve_precision
from molgan.core.trainer import Trainer
from molgan.mol.dataset import open_mol_dataset
from molgan.mol.task import MolRunConfig, MolTask

PORT_SIZES = {"model": {"latent_dim": 8, "generator_dims": [128, 256, 512], "conv_dims": [128, 64],
                        "readout_dim": 128, "head_dims": [128, 64], "minibatch_std": False,
                        "valence_feature": False, "valence_penalty": 0.0, "connectivity_penalty": 0.0},
              "train": {"batch_size": 16, "n_critic": 5}}


def measure(name: str, overrides: dict, train, valid, seconds: float) -> float:
    from molgan.core.config import build_config, merge, to_dict

    config = build_config(MolRunConfig, base=merge(to_dict(MolRunConfig()), overrides))
    config.eval.fcd = False
    task = MolTask(train, valid, config, torch.device("cpu"))
    trainer = Trainer(task, config.train, "/tmp/molgan-bench", torch.device("cpu"),
                      resolve_precision(torch.device("cpu"), "off"))
    for _ in range(3):  # warm-up
        trainer.critic_step()
        trainer.generator_step()
    rates = []
    for _ in range(5):
        start, iterations = time.perf_counter(), 0
        while time.perf_counter() - start < seconds / 5:
            for k in range(config.train.n_critic):
                trainer.critic_step(train_objectives=k == config.train.n_critic - 1)
            trainer.generator_step()
            iterations += config.train.n_critic
        rates.append(iterations / (time.perf_counter() - start))
    rate = statistics.median(rates)
    print(f"{name:<34} batch {config.train.batch_size:>3}: {rate:7.1f} critic it/s, "
          f"{rate * config.train.batch_size:8.0f} real mol/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    train = open_mol_dataset("qm9", data_dir=args.data_dir, progress=False)
    valid = open_mol_dataset("qm9", data_dir=args.data_dir, split="valid", progress=False).smiles
    port = measure("MolGAN-pytorch sizes", PORT_SIZES, train, valid, args.seconds)
    print(f"  vs the port's ~85 it/s measured here: {port / 85:.2f}x (target >= 2x)")
    without_rl = measure("default, reward term off (lambda 1)", {"train": {"adversarial_weight": 1.0}},
                         train, valid, args.seconds)
    with_rl = measure("default config (reward on, lambda 0.5)", {}, train, valid, args.seconds)
    print(f"  reward term keeps {100 * with_rl / without_rl:.0f} % of the step rate (target >= 70 %)")


if __name__ == "__main__":
    main()
