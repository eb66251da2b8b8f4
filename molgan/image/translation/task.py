"""Image-to-image GANs as tasks for the shared trainer: Pix2Pix (paired), CycleGAN (unpaired)
and SRGAN (×4 super-resolution), on the handwritten digits of molgan/image/translation/data.py.

Each is a translation task (`paired`): the trainer makes every generated batch from a real
batch's sources and adds `reconstruction_loss` against its targets, weighted by
train.reconstruction_weight (Pix2Pix's L1, CycleGAN's cycle and identity terms, SRGAN's
content loss). Figures are measured on the held-out split by `TranslationScores`.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.core.data import TensorData
from molgan.core.paths import default_data_dir
from molgan.image.classifier import ClassifierScore, cached_classifier
from molgan.image.data import ImageSet, to_unit_range
from molgan.image.grid import save_grid
from molgan.image.models import DCGANDiscriminator
from molgan.image.translation import data as pairs
from molgan.image.translation.models import (CycleDiscriminator, CycleGenerator, PatchDiscriminator, SRResNet,
                                             UNetGenerator)
from molgan.image.translation.scores import TranslationScores, translate

log = logging.getLogger(__name__)
TASKS = ("pix2pix", "cyclegan", "srgan")
CONTENT_SEED = 1  # SRGAN's content network: not the evaluation classifier (seed 0), whose figures it would game


#: Each task's source images: (channels, height, width).
SOURCE_SHAPES = {"pix2pix": (1, 28, 28), "cyclegan": (1, 28, 28),
                 "srgan": (1, 28 // pairs.SR_FACTOR, 28 // pairs.SR_FACTOR)}


def build_networks(kind: str, model, critic: bool = True) -> tuple[nn.Module, nn.Module | None]:
    """(generator, critic or None) of translation task `kind` at `model`'s sizes (ImageModelConfig)."""
    if kind == "pix2pix":
        return UNetGenerator(1, 1, model.width), PatchDiscriminator(1, 1, model.critic_width) if critic else None
    if kind == "cyclegan":
        return CycleGenerator(1, model.width, model.blocks), CycleDiscriminator(1, model.critic_width) if critic \
            else None
    return SRResNet(1, model.width, model.blocks), DCGANDiscriminator((1, 28, 28), model.critic_width) if critic \
        else None


class TranslationTask:
    paired = True  # generated batches are translations of real batches' sources
    milestones: dict[str, dict[str, float]] = {}
    data_source: dict = {}
    latent_dim = 0  # no latent noise (Pix2Pix's is its dropout)
    policy = None

    def __init__(self, kind: str, config, device: torch.device, mnist: ImageSet, writers: ImageSet | None = None,
                 score: bool = True):
        if kind not in TASKS:
            raise ValueError(f"unknown translation task {kind!r} ({', '.join(TASKS)})")
        self.kind, self.config, self.device = kind, config, device
        self.objectives: list = []
        model, classifiers = config.model, default_data_dir() / "classifiers"
        digits = to_unit_range(mnist.images)
        held = pairs.held_out(len(digits))
        if kind == "cyclegan":
            if writers is None:
                raise ValueError("cyclegan needs the second set of digits")
            other = to_unit_range(pairs.resize(writers.images, digits.shape[-1]))
            other_held = pairs.held_out(len(other))
            rows = pairs.unpaired_rows(int((~held).sum()), int((~other_held).sum()))
            self.data = TensorData(digits[~held], other[~other_held][rows])
            self.held_out = {"a": digits[held], "b": other[other_held],
                             "a_labels": mnist.labels[held], "b_labels": writers.labels[other_held]}
        else:
            sources = to_unit_range(pairs.edge_map(mnist.images)) if kind == "pix2pix" else pairs.downsample(digits)
            self.data = TensorData(digits[~held], sources[~held])
            self.held_out = {"sources": sources[held], "targets": digits[held], "labels": mnist.labels[held]}
        # Without a critic: the non-adversarial baseline (L1 or MSE alone).
        self.generator, self.discriminator = build_networks(kind, model, critic=config.train.trains_critic)
        self.content = None
        if kind == "srgan":
            # VGG's place: the convolutional feature maps of a digit classifier trained apart.
            network = cached_classifier(digits[~held], mnist.labels[~held], 10, classifiers, seed=CONTENT_SEED)
            self.content = network.features[:5].to(device).requires_grad_(False)
        self.scores = None
        if score:
            score_a = ClassifierScore(cached_classifier(digits[~held], mnist.labels[~held], 10, classifiers),
                                      digits[~held])
            score_b = None
            if kind == "cyclegan":
                score_b = ClassifierScore(cached_classifier(other[~other_held], writers.labels[~other_held], 10,
                                                            classifiers), other[~other_held])
            self.scores = TranslationScores(kind, self.held_out, score_a, score_b)

    # ------------------------------------------------------------------ the trainer's hooks
    def prepare_batch(self, batch: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], Tensor]:
        if self.kind == "cyclegan":
            a, b = batch
            return (a, b), torch.cat([a, b], 1)
        return (batch[0],), batch[1]

    def sample_condition(self, batch_size: int) -> None:
        return None  # every generated batch translates a real one

    def critic_inputs(self, graphs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        return graphs

    def reconstruction_loss(self, fake: tuple[Tensor, ...], targets: tuple[Tensor, ...], sources: Tensor) -> Tensor:
        """Pix2Pix: mean |output - target|. SRGAN: mean squared difference of the content
        network's feature maps. CycleGAN: the cycle terms |B→A(A→B(a)) - a| and the other way,
        plus half-weighted identity terms |A→B(b) - b| and |B→A(a) - a|, averaged over the two
        directions as the two critics' losses are."""
        if self.kind == "pix2pix":
            return (fake[0] - targets[0]).abs().mean()
        if self.kind == "srgan":
            return F.mse_loss(self.content(fake[0]), self.content(targets[0]))
        (fake_a, fake_b), (a, b), g = fake, targets, self.generator
        cycle = (g.ba(fake_b) - a).abs().mean() + (g.ab(fake_a) - b).abs().mean()
        identity = (g.ab(b) - b).abs().mean() + (g.ba(a) - a).abs().mean()
        return (cycle + 0.5 * identity) / 2

    def evaluate(self, generator: nn.Module, step: int) -> dict[str, float]:
        return self.scores.of_generator(generator, self.device) if self.scores is not None else {}

    def write_samples(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        """A grid of eight held-out examples per row: source, output, target (CycleGAN: a, A→B,
        back to A; b, B→A, back to B)."""
        count = 8

        def spread(images: Tensor) -> Tensor:  # the sets are in label order: evenly spaced rows
            return images[torch.linspace(0, len(images) - 1, count).long()]

        if self.kind == "cyclegan":
            a, b = spread(self.held_out["a"]), spread(self.held_out["b"])
            to_b = translate(generator, a, "ab", self.device)
            to_a = translate(generator, b, "ba", self.device)
            rows = [a, to_b, translate(generator, to_b, "ba", self.device),
                    b, to_a, translate(generator, to_a, "ab", self.device)]
        else:
            sources, targets = spread(self.held_out["sources"]), spread(self.held_out["targets"])
            shown = F.interpolate(sources, size=targets.shape[-2:], mode="nearest")
            rows = [shown, translate(generator, sources, None, self.device), targets]
        for name in (f"step-{step:07d}.png", "latest.png"):
            save_grid(torch.cat(rows), Path(run_dir) / "samples" / name, nrow=count)

    def summary(self) -> str:
        return {"pix2pix": "Pix2Pix: a U-Net from a digit's outline to the digit (28x28), PatchGAN critic",
                "cyclegan": "CycleGAN: MNIST <-> 8x8 digits by other writers (28x28), two generators and critics",
                "srgan": "SRGAN: 7x7 -> 28x28 digits (x4), a sub-pixel residual generator"}[self.kind]

    def describe(self) -> dict:
        model = self.config.model
        return {"domain": "image", "task": self.kind, "width": model.width, "critic_width": model.critic_width,
                "blocks": model.blocks}


def build_translation_task(config, device: torch.device) -> TranslationTask:
    from molgan.errors import InputError
    from molgan.image.data import load_mnist

    if config.data.dataset != "mnist":
        raise InputError(f"model.task = {config.model.task} is built from the MNIST digits: --dataset mnist "
                         f"(not {config.data.dataset})")
    writers = pairs.load_writers_digits() if config.model.task == "cyclegan" else None
    return TranslationTask(config.model.task, config, device, load_mnist(), writers)
