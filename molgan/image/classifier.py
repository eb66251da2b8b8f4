"""A small CNN trained on the run's own labelled images, to score generated ones.

This gives an image-quality number without downloading anything: the Fréchet distance
between real and generated images in this classifier's feature space, and how confidently
it classifies generated images. It is NOT the Inception FID of the literature (that needs
Inception weights we cannot download) and is only comparable between runs on the same data.
"""
from __future__ import annotations

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
