"""Image GANs: the 2014 MLP GAN and DCGAN, optionally class-conditional.

Generators map z (B, Z) [+ labels (B,)] to images in [-1, 1] (B, C, H, W), returned as a
1-tuple (the trainer's critic-input convention). Discriminators score images (B,) and,
with ``features=True``, also return their penultimate features for feature matching.
Conditioning: the generator concatenates a label embedding to z; the discriminator uses a
projection term <embed(y), features> (Miyato & Koyama, 2018).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from molgan.core.stabilizers import MinibatchDiscrimination, MinibatchStd


def _dcgan_layers(size: int) -> tuple[int, int]:
    """(base resolution, number of ×2 stages): 28 -> (7, 2), 32 -> (4, 3), 64 -> (4, 4)."""
    for base in (4, 7):
        stages = math.log2(size / base)
        if stages.is_integer() and stages >= 1:
            return base, int(stages)
    raise ValueError(f"DCGAN needs an image size of 28, 32 or 64, got {size}")


class _Conditional(nn.Module):
    def __init__(self, num_classes: int, dim: int):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, dim) if num_classes else None


class MLPGenerator(_Conditional):
    def __init__(self, shape: tuple[int, int, int], latent_dim: int = 64, hidden: int = 256,
                 num_classes: int = 0):
        super().__init__(num_classes, latent_dim)
        self.shape, self.latent_dim = shape, latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 2 * hidden), nn.BatchNorm1d(2 * hidden), nn.LeakyReLU(0.2),
            nn.Linear(2 * hidden, 4 * hidden), nn.BatchNorm1d(4 * hidden), nn.LeakyReLU(0.2),
            nn.Linear(4 * hidden, math.prod(shape)), nn.Tanh())

    def forward(self, z: Tensor, cond: Tensor | None = None) -> tuple[Tensor]:
        if self.embed is not None:
            z = z * self.embed(cond)  # multiplicative conditioning keeps the width fixed
        return (self.net(z).view(-1, *self.shape),)


def _batch_layer(features: int, minibatch_std: bool, minibatch_discrimination: bool) -> tuple[nn.Module, int]:
    """The optional batch-statistics layer before a critic's head, and its output width."""
    if minibatch_discrimination:
        layer = MinibatchDiscrimination(features)
        return layer, features + layer.num_kernels
    if minibatch_std:
        return MinibatchStd(), features + 1
    return nn.Identity(), features


class MLPDiscriminator(_Conditional):
    def __init__(self, shape: tuple[int, int, int], hidden: int = 256, num_classes: int = 0,
                 minibatch_std: bool = False, minibatch_discrimination: bool = False):
        super().__init__(num_classes, hidden)
        self.body = nn.Sequential(
            nn.Flatten(), nn.Linear(math.prod(shape), 2 * hidden), nn.LeakyReLU(0.2),
            nn.Linear(2 * hidden, hidden), nn.LeakyReLU(0.2))
        self.batch_layer, width = _batch_layer(hidden, minibatch_std, minibatch_discrimination)
        self.head = nn.Linear(width, 1)

    def forward(self, x: Tensor, cond: Tensor | None = None, features: bool = False):
        h = self.body(x)
        out = self.head(self.batch_layer(h)).squeeze(1)
        if self.embed is not None:
            out = out + (self.embed(cond) * h).sum(1)
        return (out, h) if features else out


class DCGANGenerator(_Conditional):
    def __init__(self, shape: tuple[int, int, int], latent_dim: int = 64, width: int = 64,
                 num_classes: int = 0):
        super().__init__(num_classes, latent_dim)
        channels, size, _ = shape
        base, stages = _dcgan_layers(size)
        self.shape, self.latent_dim = shape, latent_dim
        top = width * 2 ** (stages - 1)
        self.project = nn.Sequential(nn.Linear(latent_dim, top * base * base),
                                     nn.Unflatten(1, (top, base, base)), nn.BatchNorm2d(top), nn.ReLU())
        layers: list[nn.Module] = []
        for k in range(stages - 1):
            c_in = top // 2 ** k
            layers += [nn.ConvTranspose2d(c_in, c_in // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c_in // 2), nn.ReLU()]
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> tuple[Tensor]:
        if self.embed is not None:
            z = z * self.embed(cond)
        return (self.net(self.project(z)),)


class DCGANDiscriminator(_Conditional):
    """Strided convolutions without batch norm (it would break the per-sample gradient penalty)."""

    def __init__(self, shape: tuple[int, int, int], width: int = 64, num_classes: int = 0,
                 minibatch_std: bool = False, minibatch_discrimination: bool = False):
        channels, size, _ = shape
        base, stages = _dcgan_layers(size)
        feature_dim = width * 2 ** (stages - 1)
        super().__init__(num_classes, feature_dim)
        layers: list[nn.Module] = []
        c_in = channels
        for k in range(stages):
            c_out = width * 2 ** k
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2)]
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.Conv2d(c_in, feature_dim, base), nn.LeakyReLU(0.2), nn.Flatten())
        self.batch_layer, head_width = _batch_layer(feature_dim, minibatch_std, minibatch_discrimination)
        self.head = nn.Linear(head_width, 1)

    def forward(self, x: Tensor, cond: Tensor | None = None, features: bool = False):
        h = self.pool(self.body(x))
        out = self.head(self.batch_layer(h)).squeeze(1)
        if self.embed is not None:
            out = out + (self.embed(cond) * h).sum(1)
        return (out, h) if features else out


def build_image_gan(kind: str, shape: tuple[int, int, int], latent_dim: int, width: int,
                    num_classes: int, minibatch_std: bool,
                    minibatch_discrimination: bool = False) -> tuple[nn.Module, nn.Module]:
    if kind == "mlp":
        return (MLPGenerator(shape, latent_dim, width * 4, num_classes),
                MLPDiscriminator(shape, width * 4, num_classes, minibatch_std, minibatch_discrimination))
    if kind == "dcgan":
        return (DCGANGenerator(shape, latent_dim, width, num_classes),
                DCGANDiscriminator(shape, width, num_classes, minibatch_std, minibatch_discrimination))
    raise ValueError(f"unknown image model {kind!r} (mlp or dcgan)")


@torch.no_grad()
def generate(generator: nn.Module, count: int, latent_dim: int, device: torch.device,
             labels: Tensor | None = None, batch_size: int = 500) -> Tensor:
    """`count` images from `generator` in eval mode, on the CPU."""
    was_training = generator.training
    generator.eval()
    out = []
    for start in range(0, count, batch_size):
        n = min(batch_size, count - start)
        cond = labels[start:start + n].to(device) if labels is not None else None
        out.append(generator(torch.randn(n, latent_dim, device=device), cond=cond)[0].float().cpu())
    generator.train(was_training)
    return torch.cat(out)
