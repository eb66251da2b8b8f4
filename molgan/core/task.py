"""What a domain (molecules, images) hands the shared trainer.

The trainer knows nothing of chemistry or pixels: it sees a generator that maps latent
vectors to a tuple of tensors, a discriminator that scores such tuples, rows of training
tensors, and optional extra objectives (the MolGAN reward term is one).
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from torch import Tensor, nn

from molgan.core.data import TensorData


class Objective(Protocol):
    """An extra generator objective with networks of its own (e.g. a reward network)."""

    name: str
    #: True: mixed with the adversarial loss as (1 - λ)·α·loss (MolGAN's RL term);
    #: False: a regulariser added to the generator loss as it is.
    mixed: bool

    def critic_step(self, real: tuple[Tensor, ...], fake: tuple[Tensor, ...], step: int,
                    real_cond: Tensor | None = None, fake_cond: Tensor | None = None) -> dict[str, float]:
        """Train the objective's own networks on a real and a (detached) generated batch, and
        their conditions (None for an unconditional task)."""

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor | None:
        """Loss for the generator to minimise on a batch made for condition `cond`, or None
        while inactive (warm-up)."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


class GANTask(Protocol):
    """A domain's models, data and hooks.

    ``generator(z, cond=None)`` returns the tuple of tensors the critic reads, and
    ``discriminator(*inputs, cond=None, features=False)`` returns scores (B,) — or
    (scores, features (B, F)) with ``features=True``, for feature matching.
    """

    generator: nn.Module
    discriminator: nn.Module | None  # None exactly when the run trains no critic (train.trains_critic)
    latent_dim: int
    data: TensorData
    objectives: list[Objective]
    #: Time-to-quality thresholds, name -> {metric: minimum}; the trainer logs when each is
    #: first reached and keeps it in summary.json ({} = none).
    milestones: dict[str, dict[str, float]]
    #: Where the training data came from, stored in checkpoints (not checked on resume):
    #: lets sampling find the training set for novelty ({} = nothing to record).
    data_source: dict

    #: Scores the generator's own samples for the policy steps (`train.policy_steps`), or
    #: None: ``policy.sample(generator, batch_size, device)`` returns (graphs, condition,
    #: scores (B,), statistics) with graphs the generator's `negative_log_likelihood` reads;
    #: ``state_dict()`` / ``load_state_dict()`` keep what it remembers in checkpoints.
    policy: object | None

    #: Optional, for translation tasks (Pix2Pix, CycleGAN, SRGAN): `paired = True` makes every
    #: generated batch from a real batch's conditions (its source images) instead of
    #: `sample_condition`, and ``reconstruction_loss(fake, targets, sources) -> Tensor`` is the
    #: generator's loss against the batch's own targets (weighted by train.reconstruction_weight).

    def prepare_batch(self, batch: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], Tensor | None]:
        """Rows on the device -> (critic inputs, condition or None)."""

    def critic_inputs(self, graphs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        """The policy's sampled graphs as the critic reads them (for `train.policy_critic_weight`)."""

    def sample_condition(self, batch_size: int) -> Tensor | None:
        """Conditions for generated samples (e.g. random class labels), or None."""

    def evaluate(self, generator: nn.Module, step: int) -> dict[str, float]:
        """Quality metrics of `generator` (the EMA copy when there is one)."""

    def write_samples(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        """Write a human-readable sample (image grid, SMILES list) for this step."""

    def describe(self) -> dict:
        """What must match for a checkpoint to be loadable (model kind, sizes, vocab)."""

    def summary(self) -> str:
        """The generator this run trains, in words (for the start line)."""


class GeneratorRegularizer:
    """Base for stateless extra generator terms (no networks, nothing to checkpoint)."""

    name = "regularizer"
    mixed = False

    def critic_step(self, real: tuple[Tensor, ...], fake: tuple[Tensor, ...], step: int,
                    real_cond: Tensor | None = None, fake_cond: Tensor | None = None) -> dict[str, float]:
        return {}

    def generator_loss(self, fake: tuple[Tensor, ...], step: int, cond: Tensor | None = None) -> Tensor | None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
