"""GAN losses as small pure functions, in (discriminator, generator) pairs.

Scores are raw critic outputs of shape (B,) or (B, 1). Discriminator losses are minimised
by the critic, generator losses by the generator.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def bce_d_loss(real: Tensor, fake: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Original GAN critic loss; one-sided label smoothing sets real targets to 1 - s."""
    real_target = torch.full_like(real, 1.0 - label_smoothing)
    return (F.binary_cross_entropy_with_logits(real, real_target)
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def bce_g_loss(fake: Tensor) -> Tensor:
    """Non-saturating generator loss: maximise log D(G(z))."""
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def minimax_g_loss(fake: Tensor) -> Tensor:
    """The 2014 minimax generator loss: minimise log(1 - D(G(z))) (saturates early)."""
    return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def wgan_d_loss(real: Tensor, fake: Tensor, label_smoothing: float = 0.0) -> Tensor:
    return fake.mean() - real.mean()


def wgan_g_loss(fake: Tensor) -> Tensor:
    return -fake.mean()


def lsgan_d_loss(real: Tensor, fake: Tensor, label_smoothing: float = 0.0) -> Tensor:
    return 0.5 * ((real - (1.0 - label_smoothing)).pow(2).mean() + fake.pow(2).mean())


def lsgan_g_loss(fake: Tensor) -> Tensor:
    return 0.5 * (fake - 1.0).pow(2).mean()


def hinge_d_loss(real: Tensor, fake: Tensor, label_smoothing: float = 0.0) -> Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_g_loss(fake: Tensor) -> Tensor:
    return -fake.mean()


class LossPair(NamedTuple):
    d: Callable[..., Tensor]
    g: Callable[[Tensor], Tensor]


LOSSES: dict[str, LossPair] = {
    "bce": LossPair(bce_d_loss, bce_g_loss),
    "minimax": LossPair(bce_d_loss, minimax_g_loss),
    "wgan": LossPair(wgan_d_loss, wgan_g_loss),  # with weight clipping
    "wgan-gp": LossPair(wgan_d_loss, wgan_g_loss),  # with gradient penalty
    "lsgan": LossPair(lsgan_d_loss, lsgan_g_loss),
    "hinge": LossPair(hinge_d_loss, hinge_g_loss),
}


def interpolate(real: Sequence[Tensor], fake: Sequence[Tensor], alpha: Tensor | None = None) -> list[Tensor]:
    """Random points between real and generated samples, one weight per sample shared by
    all of its tensors (for a molecule: nodes and edges). `alpha` (B,): the weights, drawn
    uniformly when not given."""
    batch = real[0].shape[0]
    if alpha is None:
        alpha = torch.rand(batch, device=real[0].device, dtype=real[0].dtype)
    mixed = []
    for r, f in zip(real, fake):
        a = alpha.view(batch, *([1] * (r.dim() - 1)))
        mixed.append(a * r.detach() + (1 - a) * f.detach())
    return mixed


def gradient_penalty(critic: Callable[..., Tensor], real: Sequence[Tensor],
                     fake: Sequence[Tensor], target: float = 1.0, eps: float = 1e-12,
                     grad_scale: float | Tensor | None = None, alpha: Tensor | None = None,
                     functional: bool = False) -> Tensor:
    """WGAN-GP penalty E[(||grad D(x_hat)|| - target)^2] for single- or multi-input critics.

    The norm runs over all inputs of a sample together. `functional` takes the input
    gradient with `torch.func.grad` instead of `autograd.grad(create_graph=True)`: same
    values, and the whole penalty is then one first-order graph that `torch.compile` can
    fuse (it cannot compile a double backward); eager, autograd's double backward is the
    cheaper of the two, hence the choice. `eps` inside the square root keeps the norm's gradient finite when the
    gradient is zero. With fp16 autocast, pass the GradScaler's scale as `grad_scale`: the
    gradients are computed from a scaled score (so they do not underflow) and unscaled
    before the norm.
    """
    mixed = interpolate(real, fake, alpha)

    def total_score(*inputs: Tensor) -> Tensor:
        total = critic(*inputs).float().sum()  # fp32: a scaled fp16 sum would overflow
        return total * grad_scale if grad_scale is not None else total

    if functional:
        grads = torch.func.grad(total_score, argnums=tuple(range(len(mixed))))(*mixed)
    else:
        mixed = [m.requires_grad_(True) for m in mixed]
        grads = torch.autograd.grad(total_score(*mixed), mixed, create_graph=True)
    if grad_scale is not None:
        grads = [g / grad_scale for g in grads]
    squared = sum(g.float().pow(2).flatten(1).sum(1) for g in grads)
    return (torch.sqrt(squared + eps) - target).pow(2).mean()


def mixed_loss_terms(adversarial: Tensor, extras: dict[str, Tensor], weight: float,
                     normalize: bool = True) -> dict[str, Tensor]:
    """The terms of λ·L_adv + (1−λ)·Σ α_i·L_i by name ("adversarial", then each extra), with
    α_i = |L_adv| / |L_i| (no gradient) when normalized; just L_adv without extras.

    Normalising puts every extra objective on the adversarial loss's scale, so λ means
    the same thing whatever the magnitudes (as in MolGAN).
    """
    if not extras:
        return {"adversarial": adversarial}
    terms = {"adversarial": weight * adversarial}
    for name, extra in extras.items():
        alpha = (adversarial.detach().abs() / extra.detach().abs().clamp_min(1e-8)) if normalize else 1.0
        terms[name] = (1.0 - weight) * alpha * extra
    return terms


def sum_in_order(terms) -> Tensor:
    """t1 + t2 + ... left to right (`sum` would start from 0, a different rounding)."""
    terms = iter(terms)
    total = next(terms)
    for term in terms:
        total = total + term
    return total
