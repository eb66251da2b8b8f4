"""Settings of the shared training loop (the `[train]` section of a run's config)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal


@dataclass
class TrainConfig:
    max_steps: int = 2000  # generator steps
    max_minutes: float = 0.0  # wall-clock budget; 0 = none
    batch_size: int = 32
    n_critic: int = 5
    loss: Literal["bce", "minimax", "wgan", "wgan-gp", "lsgan", "hinge"] = "wgan-gp"
    gp_weight: float = 10.0
    clip_value: float = 0.01  # weight clipping, loss = "wgan" only
    label_smoothing: float = 0.0  # one-sided, real targets 1 - s
    lr_g: float = 1e-4  # separate G and D rates: two time-scale update rule
    lr_d: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lr_schedule: Literal["constant", "linear", "cosine"] = "constant"
    grad_clip: float = 0.0  # max gradient norm; 0 = off
    fused_critic: bool = True  # real and generated samples in one critic pass (no batch norm in D!)
    # torch.compile the whole critic update (penalty and gradients included) and the
    # generator's passes: fewer, fused kernels, after some seconds of compiling per process.
    compile: bool = False
    ema_decay: float = 0.999  # 0 = no EMA generator
    feature_matching: float = 0.0  # weight of the feature-matching term in the G loss
    mode_seeking: float = 0.0  # weight of the mode-seeking (anti-collapse) term in the G loss
    # Weight of a translation task's reconstruction loss (its output against the paired target:
    # Pix2Pix's L1, CycleGAN's cycle and identity terms, SRGAN's content loss) in the G loss.
    reconstruction_weight: float = 0.0
    # Earlier generated samples the critic sees in place of half of the new ones (CycleGAN: 50);
    # 0 = off.
    sample_pool: int = 0
    adversarial_weight: float = 1.0  # λ in λ·L_adv + (1−λ)·L_extra
    # Generator steps of maximum likelihood on real batches (no critic) before the adversarial
    # ones, for a generator that scores data (an autoregressive one); counted in max_steps.
    likelihood_steps: int = 0
    # Weight of that likelihood (mean nats per sample) in the generator's loss afterwards,
    # which keeps the critic's pull from leaving the data; 0 = off.
    likelihood_weight: float = 0.0
    # The last generator steps as policy steps: the generator samples, the task scores its
    # samples, and the generator climbs their score (REINFORCE with the batch's standardised
    # scores as advantages), with its own Adam at a constant `policy_lr`. Never before the
    # likelihood steps; 0 = off. Needs a task that scores samples (a reward run).
    policy_steps: int = 0
    policy_lr: float = 5e-5
    policy_batch_size: int = 0  # 0 = batch_size
    # Evaluations during the policy steps (0 = eval_every): the policy moves faster than the
    # likelihood, and best.pt is chosen among these.
    policy_eval_every: int = 0
    # λ of the policy steps, as in MolGAN's λ·L_adv + (1−λ)·L_RL: each sample's score is
    # λ · (the critic's score) + (1 − λ) · (the task's score), each standardised over the
    # batch; above 0, the critic trains during the policy steps too (n_critic steps each).
    policy_critic_weight: float = 0.0
    # The first policy steps train only the critic (the generator waits), so that its score
    # means something when the generator starts to climb it; counted in policy_steps.
    policy_critic_warmup: int = 0
    # β of a KL penalty to the generator as it was at the first policy step: each sample's
    # score less β · (log p(x) - log p_start(x)) (molgan/core/policy.py); 0 = off.
    policy_kl_weight: float = 0.0
    normalize_extra: bool = True  # scale extra losses to |L_adv| (MolGAN's α)
    amp: Literal["auto", "off", "bf16", "fp16"] = "auto"
    on_nonfinite: Literal["stop", "skip"] = "stop"
    log_every: int = 50
    eval_every: int = 500
    sample_every: int = 500
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    best_metric: str = ""  # evaluation metric that selects best.pt; "" = none
    best_mode: Literal["min", "max"] = "min"
    # "metric>=value" (or <=): an evaluation may become best.pt only when it also meets this,
    # e.g. "uniqueness>=0.99"; "" = any evaluation.
    best_requires: str = ""
    # Early stopping: end the run after this many evaluations in a row without a better
    # best_metric (best.pt is kept; the last checkpoint is where it stopped). 0 = never.
    patience: int = 0

    def __post_init__(self):
        for name in ("max_steps", "batch_size", "n_critic", "log_every", "eval_every",
                     "sample_every", "checkpoint_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise ValueError(f"train.{name} must be at least 1, got {getattr(self, name)}")
        if min(self.policy_steps, self.policy_eval_every) < 0 or not self.policy_lr > 0:
            raise ValueError("train.policy_steps and train.policy_eval_every must be 0 (off) or more, "
                             "train.policy_lr above 0")
        if self.policy_batch_size < 0 or self.policy_batch_size == 1:
            # Advantages are scores less their batch mean, over the batch's spread.
            raise ValueError(f"train.policy_batch_size must be 0 (= batch_size) or at least 2, "
                             f"got {self.policy_batch_size}")
        if self.likelihood_steps < 0 or self.likelihood_weight < 0:
            raise ValueError("train.likelihood_steps and train.likelihood_weight must be 0 (off) or more")
        if self.reconstruction_weight < 0 or self.sample_pool < 0:
            raise ValueError("train.reconstruction_weight and train.sample_pool must be 0 (off) or more")
        if self.patience < 0:
            raise ValueError(f"train.patience must be 0 (off) or more, got {self.patience}")
        if self.patience and not self.best_metric:
            raise ValueError("train.patience needs train.best_metric: the metric whose improvement it waits for")
        parse_requirement(self.best_requires)
        if not (0.0 <= self.policy_kl_weight < math.inf) or self.policy_critic_warmup < 0:
            raise ValueError(f"train.policy_kl_weight must be a finite number >= 0 and train.policy_critic_warmup "
                             f"0 or more, got {self.policy_kl_weight} and {self.policy_critic_warmup}")
        if not 0.0 <= self.policy_critic_weight <= 1.0:
            raise ValueError(f"train.policy_critic_weight must be in [0, 1], got {self.policy_critic_weight}")
        if not 0.0 <= self.adversarial_weight <= 1.0:
            raise ValueError(f"train.adversarial_weight must be in [0, 1], got {self.adversarial_weight}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"train.ema_decay must be in [0, 1), got {self.ema_decay}")

    @property
    def adversarial_steps(self) -> int:
        """Generator steps against the critic: those between the likelihood and the policy
        steps. 0: the run trains no critic (and builds none)."""
        return max(0, self.policy_start - self.likelihood_steps)

    @property
    def policy_critic(self) -> bool:
        """Whether the policy steps score samples by the critic too (and train it)."""
        return self.max_steps > self.policy_start and self.policy_critic_weight > 0

    @property
    def trains_critic(self) -> bool:
        """Whether the run has a critic: adversarial steps, or policy steps that use one."""
        return self.adversarial_steps > 0 or self.policy_critic

    def phases(self) -> dict[str, int]:
        """{"likelihood" / "adversarial" / "policy": generator steps of each} (phases with
        none left out), in training order."""
        steps = {"likelihood": min(self.likelihood_steps, self.max_steps), "adversarial": self.adversarial_steps,
                 "policy": self.max_steps - self.policy_start}
        return {name: count for name, count in steps.items() if count > 0}

    def unused_settings(self) -> list[str]:
        """The settings of this section that change nothing in this run (names without the
        "train." prefix), for the run's config.toml to mark."""
        unused = []
        generator_terms = ["feature_matching", "mode_seeking", "adversarial_weight", "normalize_extra",
                           "likelihood_weight", "reconstruction_weight"]
        if not self.trains_critic:
            unused += ["n_critic", "loss", "gp_weight", "clip_value", "label_smoothing", "lr_d", "fused_critic",
                       "sample_pool", *generator_terms]
        elif self.adversarial_steps == 0:  # a critic for the policy steps only
            unused += generator_terms
            unused += ["gp_weight"] if self.loss != "wgan-gp" else []
            unused += ["clip_value"] if self.loss != "wgan" else []
        else:
            unused += ["gp_weight"] if self.loss != "wgan-gp" else []
            unused += ["clip_value"] if self.loss != "wgan" else []
            unused += ["normalize_extra"] if self.adversarial_weight == 1.0 else []
        if not self.phases().get("policy"):
            unused += ["policy_lr", "policy_batch_size", "policy_eval_every", "policy_critic_weight",
                       "policy_critic_warmup", "policy_kl_weight"]
        elif not self.policy_critic:
            unused += ["policy_critic_warmup"]
        return unused

    @property
    def policy_start(self) -> int:
        """The first policy step: the last `policy_steps` of `max_steps`, after the
        likelihood steps (max_steps when there are none)."""
        return min(self.max_steps, max(self.likelihood_steps, self.max_steps - self.policy_steps))


def fit_batch_to_data(config: TrainConfig, rows: int, world_size: int = 1, minimum: int = 2) -> str | None:
    """Shrink `config.batch_size` to the data when there are fewer rows than one batch per
    process; returns the warning to give (None when nothing changed). Too few rows to
    form a batch of `minimum` per process is a `ValueError`."""
    per_process = rows // world_size
    if per_process >= config.batch_size:
        return None
    if per_process < minimum:
        raise ValueError(f"{rows} training rows cannot train {world_size} process(es): "
                         f"at least {minimum * world_size} are needed")
    warning = (f"{rows} training rows are fewer than one batch of {config.batch_size}"
               f"{' per process' if world_size > 1 else ''}: batch size {per_process}")
    config.batch_size = per_process
    return warning


def lr_factor(config: TrainConfig, end: Callable[[], int] | None = None) -> Callable[[int], float]:
    """The learning-rate multiplier at each step for `config.lr_schedule` (read at each
    call: a resumed run with more steps stretches its schedule). The schedule ends at
    `end()` (a time budget's plan, molgan/core/budget.py), else at `config.policy_start`."""
    def factor(step: int) -> float:
        progress = min(step / max(1, end() if end is not None else config.policy_start), 1.0)
        if config.lr_schedule == "linear":
            return 1.0 - progress
        if config.lr_schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0
    return factor


def parse_requirement(text: str) -> tuple[str, str, float] | None:
    """"metric>=value" or "metric<=value" -> (metric, operator, value); "" -> None."""
    if not text:
        return None
    for operator in (">=", "<="):
        name, found, value = text.partition(operator)
        if found and name.strip():
            try:
                return name.strip(), operator, float(value)
            except ValueError:
                break
    raise ValueError(f"train.best_requires must look like uniqueness>=0.99 (a metric, >= or <=, a number), "
                     f"got {text!r}")
