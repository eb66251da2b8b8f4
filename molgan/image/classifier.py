"""A small CNN trained on the run's own labelled images, to score generated ones.

This gives an image-quality number without downloading anything: the Fréchet distance
between real and generated images in this classifier's feature space, and how confidently
it classifies generated images. It is NOT the Inception FID of the literature (that needs
Inception weights we cannot download) and is only comparable between runs on the same data.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.core.frechet import frechet_distance, gaussian_stats


class SmallCNN(nn.Module):
    def __init__(self, channels: int, num_classes: int, feature_dim: int = 128):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(64 * 16, feature_dim), nn.ReLU())
        self.classify = nn.Linear(feature_dim, num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.features(x)
        return self.classify(h), h


def train_classifier(images: Tensor, labels: Tensor, num_classes: int, epochs: int = 8,
                     batch_size: int = 64, seed: int = 0) -> SmallCNN:
    """Train on images in [-1, 1]; deterministic for a seed; a few seconds on MNIST-5k."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = SmallCNN(images.shape[1], num_classes)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), batch_size):
            index = order[start:start + batch_size]
            logits, _ = model(images[index])
            loss = F.cross_entropy(logits, labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


#: Bumped when SmallCNN or its training changes: older cached classifiers are not read.
CLASSIFIER_VERSION = 1
log = logging.getLogger("molgan")


def cached_classifier(images: Tensor, labels: Tensor, num_classes: int, folder: str | Path | None,
                      seed: int = 0) -> SmallCNN:
    """`train_classifier` of these images and labels (and `seed`), trained once and kept in
    `folder` (classifier-HASH.pt, keyed by the images, the labels, the seed and
    CLASSIFIER_VERSION); None: not kept. A file that cannot be read is trained again and replaced."""
    from molgan.core.atomic import atomic_write

    digest = hashlib.sha256()
    for part in (images.float().numpy().tobytes(), labels.numpy().tobytes(),
                 f"{num_classes}-v{CLASSIFIER_VERSION}".encode() + (f"-seed{seed}".encode() if seed else b"")):
        digest.update(part)
    path = Path(folder) / f"classifier-{digest.hexdigest()[:16]}.pt" if folder is not None else None
    if path is not None and path.is_file():
        try:
            with torch.random.fork_rng():  # its random initial weights are replaced: the run's stream stays
                model = SmallCNN(images.shape[1], num_classes)
            model.load_state_dict(torch.load(path, weights_only=True))
            log.info("quality classifier read from %s", path)
            return model.eval()
        except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as exc:
            log.warning("%s: unreadable (%s); training the classifier again", path, exc)
    model = train_classifier(images, labels, num_classes, seed=seed)
    if path is not None:
        with atomic_write(path, "wb") as handle:
            torch.save(model.state_dict(), handle)
    return model


class ClassifierScore:
    """Scores generated images against the real ones with a trained `SmallCNN`."""

    def __init__(self, model: SmallCNN, real_images: Tensor):
        self.model = model.eval()
        _, real_features = self._run(real_images)
        self.real_stats = gaussian_stats(real_features)

    @torch.no_grad()
    def _run(self, images: Tensor) -> tuple[Tensor, Tensor]:
        outputs = [self.model(images[k:k + 500]) for k in range(0, len(images), 500)]
        return torch.cat([o[0] for o in outputs]), torch.cat([o[1] for o in outputs])

    def accuracy(self, images: Tensor, labels: Tensor) -> float:
        logits, _ = self._run(images)
        return float((logits.argmax(1) == labels).float().mean())

    def __call__(self, images: Tensor, labels: Tensor | None = None) -> dict[str, float]:
        logits, features = self._run(images)
        probs = logits.softmax(1)
        confidence, predicted = probs.max(1)
        scores = {
            "classifier_fd": frechet_distance(*gaussian_stats(features), *self.real_stats),
            "confident_frac": float((confidence >= 0.9).float().mean()),
            "mean_confidence": float(confidence.mean()),
        }
        if labels is not None:  # conditional generation: does the digit match its label?
            scores["label_match"] = float((predicted == labels).float().mean())
        return scores
