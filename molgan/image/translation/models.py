"""Networks of the translation GANs on 28×28 images: Pix2Pix's U-Net and PatchGAN, CycleGAN's
residual translator and its pair of each, SRGAN's sub-pixel residual generator.

Generators follow the trainer's convention: ``generator(z, cond)`` returns a tuple of images in
[-1, 1]; here `cond` holds the source images (B, C, H, W) and `z` is unused (B, 0): Pix2Pix's
noise is its dropout, and CycleGAN and SRGAN have none. A generator that can score a target
(`negative_log_likelihood`) can also be trained without a critic: the non-adversarial baselines
and SRGAN's pre-training. Normalisation is per image (instance norm), so a sample's output never
depends on the rest of its batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1, norm: bool = True, act: str = "lrelu") -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2 if stride == 1 else 1)]
    if norm:
        layers.append(nn.InstanceNorm2d(c_out, affine=True))
    layers.append(nn.LeakyReLU(0.2) if act == "lrelu" else nn.ReLU())
    return nn.Sequential(*layers)


def _up(c_in: int, c_out: int, dropout: float = 0.0) -> nn.Sequential:
    """×2 upsampling (transposed convolution 4/2/1), instance norm, optional dropout, ReLU."""
    layers: list[nn.Module] = [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.InstanceNorm2d(c_out, affine=True)]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.ReLU())


class UNetGenerator(nn.Module):
    """Pix2Pix's generator scaled to 28×28: an encoder 28 → 14 → 7, a bottleneck at 7×7 (with
    dropout as the noise, as in the paper) and a decoder back to 28, each decoder stage reading
    the encoder stage of its size (skip connections).

    Shapes: cond (B, C_in, 28, 28) -> ((B, C_out, 28, 28),).
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 1, width: int = 64, dropout: float = 0.5):
        super().__init__()
        self.in_channels, self.out_channels, self.width = in_channels, out_channels, width
        self.down1 = nn.Sequential(nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2))  # 14
        self.down2 = _conv(width, 2 * width, 4, 2)  # 7
        self.middle = nn.Sequential(_conv(2 * width, 4 * width, 3, act="relu"), nn.Dropout(dropout),
                                    _conv(4 * width, 2 * width, 3, act="relu"))
        self.up2 = _up(4 * width, width, dropout)  # 14, from middle + down2
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * width, out_channels, 4, 2, 1), nn.Tanh())  # 28

    def forward(self, z: Tensor, cond: Tensor) -> tuple[Tensor]:
        d1 = self.down1(cond)
        d2 = self.down2(d1)
        u2 = self.up2(torch.cat([self.middle(d2), d2], 1))
        return (self.up1(torch.cat([u2, d1], 1)),)

    def negative_log_likelihood(self, target: Tensor, cond: Tensor) -> Tensor:
        """Per image: the mean absolute error to `target` (a Laplace likelihood up to
        constants): what Pix2Pix's L1-only baseline minimises."""
        return (self(None, cond)[0] - target).abs().flatten(1).mean(1)

    def __repr__(self) -> str:
        return f"UNetGenerator({self.in_channels} -> {self.out_channels}, width={self.width})"


class PatchDiscriminator(nn.Module):
    """PatchGAN: a logit per overlapping patch (7×7 of them, 18×18 pixels each on a 28×28
    image); with `conditional`, it reads the source image beside the output (Pix2Pix).

    Shapes: x (B, C, 28, 28) [, cond (B, C_cond, 28, 28)] -> (B, 49).
    """

    def __init__(self, channels: int = 1, cond_channels: int = 0, width: int = 64):
        super().__init__()
        self.channels, self.cond_channels, self.width = channels, cond_channels, width
        self.body = nn.Sequential(nn.Conv2d(channels + cond_channels, width, 4, 2, 1), nn.LeakyReLU(0.2),
                                  _conv(width, 2 * width, 4, 2))
        self.head = nn.Conv2d(2 * width, 1, 3, 1, 1)

    def forward(self, x: Tensor, cond: Tensor | None = None, features: bool = False):
        h = self.body(torch.cat([x, cond], 1) if self.cond_channels else x)
        out = self.head(h).flatten(1)
        return (out, h.mean((2, 3))) if features else out

    def __repr__(self) -> str:
        source = f" + {self.cond_channels} source" if self.cond_channels else ""
        return f"PatchDiscriminator({self.channels}{source} channels, width={self.width})"


class _Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
                                  nn.InstanceNorm2d(channels, affine=True), nn.ReLU(),
                                  nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
                                  nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetTranslator(nn.Module):
    """CycleGAN's generator at 28×28: a 7×7 convolution, two stride-2 convolutions to 7×7,
    residual blocks, two transposed convolutions back and a 7×7 convolution to tanh.

    Shapes: (B, C, 28, 28) -> (B, C, 28, 28).
    """

    def __init__(self, channels: int = 1, width: int = 32, blocks: int = 4):
        super().__init__()
        self.channels, self.width, self.blocks = channels, width, blocks
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(channels, width, 7), nn.InstanceNorm2d(width, affine=True), nn.ReLU(),
            _conv(width, 2 * width, 3, 2, act="relu"), _conv(2 * width, 4 * width, 3, 2, act="relu"),
            *[_Residual(4 * width) for _ in range(blocks)],
            _up(4 * width, 2 * width), _up(2 * width, width),
            nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh())

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def __repr__(self) -> str:
        return f"ResnetTranslator({self.channels} channels, width={self.width}, blocks={self.blocks})"


class CycleGenerator(nn.Module):
    """CycleGAN's two generators, A → B and B → A, as one network for the trainer (one Adam
    over both, as in the paper's code).

    Shapes: cond (B, 2C, H, W), the A images then the B images along channels ->
    (fake A = B→A(b), fake B = A→B(a)).
    """

    def __init__(self, channels: int = 1, width: int = 32, blocks: int = 4):
        super().__init__()
        self.channels = channels
        self.ab = ResnetTranslator(channels, width, blocks)
        self.ba = ResnetTranslator(channels, width, blocks)

    def split(self, cond: Tensor) -> tuple[Tensor, Tensor]:
        return cond[:, :self.channels], cond[:, self.channels:]

    def forward(self, z: Tensor, cond: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.split(cond)
        return self.ba(b), self.ab(a)


class CycleDiscriminator(nn.Module):
    """CycleGAN's two critics, one per domain, as one network: each judges its domain's images,
    and their patch logits are returned side by side, so a loss's mean is the mean of both
    critics' losses.

    Shapes: x_a, x_b (B, C, 28, 28) -> (B, 98).
    """

    def __init__(self, channels: int = 1, width: int = 64):
        super().__init__()
        self.a = PatchDiscriminator(channels, 0, width)
        self.b = PatchDiscriminator(channels, 0, width)

    def forward(self, x_a: Tensor, x_b: Tensor, cond: Tensor | None = None, features: bool = False):
        if features:
            (sa, fa), (sb, fb) = self.a(x_a, features=True), self.b(x_b, features=True)
            return torch.cat([sa, sb], 1), torch.cat([fa, fb], 1)
        return torch.cat([self.a(x_a), self.b(x_b)], 1)


class SRResNet(nn.Module):
    """SRGAN's generator for ×4 (7×7 → 28×28): a 9×9 convolution, residual blocks (without batch
    norm, as later super-resolution networks found better), a long skip, two sub-pixel ×2 stages
    (convolution to 4× the channels, PixelShuffle) and a 9×9 convolution to tanh.

    Shapes: cond (B, C, 7, 7) -> ((B, C, 28, 28),).
    """

    def __init__(self, channels: int = 1, width: int = 64, blocks: int = 8):
        super().__init__()
        self.channels, self.width, self.blocks = channels, width, blocks
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, padding=4), nn.PReLU(width))
        self.body = nn.Sequential(*[_PlainResidual(width) for _ in range(blocks)],
                                  nn.Conv2d(width, width, 3, padding=1))
        self.upsample = nn.Sequential(*[nn.Sequential(nn.Conv2d(width, 4 * width, 3, padding=1), nn.PixelShuffle(2),
                                                      nn.PReLU(width)) for _ in range(2)])
        self.tail = nn.Sequential(nn.Conv2d(width, channels, 9, padding=4), nn.Tanh())

    def forward(self, z: Tensor, cond: Tensor) -> tuple[Tensor]:
        h = self.head(cond)
        return (self.tail(self.upsample(h + self.body(h))),)

    def negative_log_likelihood(self, target: Tensor, cond: Tensor) -> Tensor:
        """Per image: the mean squared error to `target` (a Gaussian likelihood up to
        constants): SRResNet's loss, SRGAN's pre-training and the MSE-only baseline."""
        return F.mse_loss(self(None, cond)[0], target, reduction="none").flatten(1).mean(1)

    def __repr__(self) -> str:
        return f"SRResNet({self.channels} channels, width={self.width}, blocks={self.blocks}, ×4)"


class _PlainResidual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.PReLU(channels),
                                  nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)
