"""The image GAN as a task for the shared trainer."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

from molgan.core.data import TensorData
from molgan.core.train_config import TrainConfig
from molgan.core.paths import default_data_dir
from molgan.image.classifier import ClassifierScore, cached_classifier
from molgan.image.data import ImageSet, to_unit_range
from molgan.image.grid import save_grid
from molgan.image.models import build_image_gan, generate

log = logging.getLogger(__name__)


@dataclass
class ImageModelConfig:
    # gan: an image GAN from noise (kind); pix2pix, cyclegan, srgan: a translation GAN on the
    # MNIST digits (molgan/image/translation/), with its own defaults (TRANSLATION_PRESETS)
    task: Literal["gan", "pix2pix", "cyclegan", "srgan"] = "gan"
    kind: Literal["mlp", "dcgan"] = "dcgan"
    latent_dim: int = 64
    width: int = 32  # DCGAN base channels; the MLP uses 4x this many hidden units
    conditional: bool = True  # labels in G and D, when the data has labels
    minibatch_std: bool = False
    minibatch_discrimination: bool = False  # Salimans et al.; takes precedence over minibatch_std
    critic_width: int = 64  # translation tasks: the critics' base channels
    blocks: int = 4  # translation tasks: residual blocks of CycleGAN's and SRGAN's generators


@dataclass
class ImageDataConfig:
    dataset: str = "mnist"  # mnist, synthetic, or a folder of images (sub-folders = classes)
    image_size: int = 32  # image folders only: resize to 28, 32 or 64
    channels: int = 3  # image folders only: 1 (grey) or 3 (RGB)
    eval_samples: int = 1000
    grid_samples: int = 64


def _image_train_defaults() -> TrainConfig:
    # DCGAN's recipe: non-saturating loss, one critic step, Adam 2e-4 / beta1 0.5.
    return TrainConfig(loss="bce", n_critic=1, lr_g=2e-4, lr_d=2e-4, batch_size=64, max_steps=3000,
                       eval_every=500, sample_every=500, checkpoint_every=500, best_metric="classifier_fd")


@dataclass
class ImageRunConfig:
    model: ImageModelConfig = field(default_factory=ImageModelConfig)
    data: ImageDataConfig = field(default_factory=ImageDataConfig)
    train: TrainConfig = field(default_factory=_image_train_defaults)

    def settings_preset(self) -> dict:
        """Defaults a translation task calls for, under --config and --set (TRANSLATION_PRESETS)."""
        from molgan.image.translation.presets import TRANSLATION_PRESETS

        return TRANSLATION_PRESETS.get(self.model.task, {})


class ImageTask:
    milestones: dict[str, dict[str, float]] = {}
    data_source: dict = {}

    def __init__(self, images: ImageSet, config: ImageRunConfig, device: torch.device,
                 score: bool = True):
        self.images, self.config, self.device = images, config, device
        labelled = images.labels is not None and images.num_classes > 1
        self.num_classes = images.num_classes if (labelled and config.model.conditional) else 0
        self.generator, self.discriminator = build_image_gan(
            config.model.kind, images.shape, config.model.latent_dim, config.model.width,
            self.num_classes, config.model.minibatch_std, config.model.minibatch_discrimination)
        self.latent_dim = config.model.latent_dim
        rows = (images.images,) + ((images.labels,) if self.num_classes else ())
        self.data = TensorData(*rows)
        self.objectives: list = []
        self.policy = None  # no policy steps: no reward to score images with
        self.score = None
        if score and labelled:
            real = to_unit_range(images.images)
            # Hold out every 10th image: the classifier's accuracy is measured on those, and
            # their distance to the rest is the floor any generator's distance is read against.
            held_out = torch.arange(len(real)) % 10 == 0
            classifier = cached_classifier(real[~held_out], images.labels[~held_out], images.num_classes,
                                           default_data_dir() / "classifiers")
            self.score = ClassifierScore(classifier, real[~held_out])
            self.reference = self.score(real[held_out], images.labels[held_out])
            log.info("quality classifier: %.1f%% held-out accuracy; held-out real images score "
                     "classifier_fd %.1f, confident_frac %.3f",
                     100 * self.score.accuracy(real[held_out], images.labels[held_out]),
                     self.reference["classifier_fd"], self.reference["confident_frac"])

    def prepare_batch(self, batch: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], Tensor | None]:
        cond = batch[1] if self.num_classes else None
        return (to_unit_range(batch[0]),), cond

    def sample_condition(self, batch_size: int) -> Tensor | None:
        if not self.num_classes:
            return None
        return torch.randint(0, self.num_classes, (batch_size,), device=self.device)

    def _labels(self, count: int) -> Tensor | None:
        # Balanced labels 0, 1, ..., k-1, 0, 1, ... so grids read row by row per class.
        return torch.arange(count) % self.num_classes if self.num_classes else None

    def evaluate(self, generator: nn.Module, step: int) -> dict[str, float]:
        if self.score is None:
            return {}
        labels = self._labels(self.config.data.eval_samples)
        fake = generate(generator, self.config.data.eval_samples, self.latent_dim, self.device, labels)
        return self.score(fake, labels)

    def write_samples(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        count = self.config.data.grid_samples
        if self.num_classes:
            per_class = max(1, count // self.num_classes)
            labels = torch.arange(self.num_classes).repeat_interleave(per_class)
        else:
            labels = None
        images = generate(generator, len(labels) if labels is not None else count,
                          self.latent_dim, self.device, labels)
        nrow = per_class if labels is not None else None
        for name in (f"step-{step:07d}.png", "latest.png"):
            save_grid(images, Path(run_dir) / "samples" / name, nrow=nrow)

    def summary(self) -> str:
        labels = f", conditioned on {self.num_classes} classes" if self.num_classes else ""
        height, width = self.images.shape[-2:]
        return f"the {self.config.model.kind} image generator ({height}x{width}){labels}"

    def describe(self) -> dict:
        return {"domain": "image", "model": self.config.model.kind, "shape": list(self.images.shape),
                "latent_dim": self.latent_dim, "width": self.config.model.width,
                "num_classes": self.num_classes, "minibatch_std": self.config.model.minibatch_std,
                "minibatch_discrimination": self.config.model.minibatch_discrimination}


def build_image_task(config: ImageRunConfig, device: torch.device, progress: bool = True) -> ImageTask:
    from molgan.image.data import open_image_set

    if config.model.task != "gan":
        from molgan.image.translation.task import build_translation_task

        return build_translation_task(config, device)
    images = open_image_set(config.data.dataset, config.data.image_size, config.data.channels)
    log.info("%s: %d images of %s, %d classes", images.name, len(images.images),
             "x".join(map(str, images.shape)), images.num_classes)
    return ImageTask(images, config, device)
