"""The defaults of each translation task (`--set task=...`), under --config and --set.

Losses and weights as the papers give them, scaled to 28×28 digits and a CPU budget:
- Pix2Pix (Isola et al., 2017): the original GAN loss, Adam 2e-4 / β1 0.5, L1 weighted 100.
- CycleGAN (Zhu et al., 2017): least-squares loss, Adam 2e-4 / β1 0.5, cycle weight 10 and
  identity half of it, a pool of 50 earlier translations for the critics, the rate decayed
  linearly to zero.
- SRGAN (Ledig et al., 2017): the generator first trained on MSE alone (SRResNet), then the
  content loss plus 10⁻³ of the adversarial loss (here: the adversarial loss plus 10³ × the
  content loss, the same direction for Adam), Adam 1e-4.
Each takes 7-14 minutes on two cores of an AMD EPYC (`train.max_minutes` = 15 stops it on a slower
machine, a decaying schedule fitted to what it will reach).
"""
from __future__ import annotations

_COMMON = {"n_critic": 1, "betas": [0.5, 0.999], "max_minutes": 15.0, "eval_every": 500, "sample_every": 500,
           "checkpoint_every": 500, "best_metric": "classifier_fd", "log_every": 50}

TRANSLATION_PRESETS: dict[str, dict] = {
    "pix2pix": {"model": {"width": 64, "critic_width": 64},
                "train": {**_COMMON, "loss": "bce", "lr_g": 2e-4, "lr_d": 2e-4, "batch_size": 32, "max_steps": 6000,
                          "reconstruction_weight": 100.0}},
    "cyclegan": {"model": {"width": 32, "critic_width": 64, "blocks": 3},
                 "train": {**_COMMON, "loss": "lsgan", "lr_g": 2e-4, "lr_d": 2e-4, "batch_size": 16,
                           "max_steps": 2000, "lr_schedule": "linear", "reconstruction_weight": 10.0,
                           "sample_pool": 50}},
    "srgan": {"model": {"width": 64, "critic_width": 64, "blocks": 8},
              "train": {**_COMMON, "loss": "bce", "lr_g": 1e-4, "lr_d": 1e-4, "batch_size": 32, "max_steps": 4000,
                        "likelihood_steps": 2000, "reconstruction_weight": 1000.0}},
}
