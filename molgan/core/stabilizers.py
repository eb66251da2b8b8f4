"""Small, composable GAN stabilisers usable by any domain's networks.

- `MinibatchStd`: appends the batch's mean feature standard deviation as one extra feature,
  so the critic can see a collapsed (too uniform) batch (Karras et al., 2018).
- `MinibatchDiscrimination`: per-sample closeness to the rest of the batch through a learned
  tensor (Salimans et al., 2016).
- `feature_matching_loss`: generator matches the critic's mean features on real data.
- `mode_seeking_loss`: generator is penalised when different latents give the same sample.
- `make_ema`: exponential moving average of the generator, via torch's AveragedModel.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class MinibatchStd(nn.Module):
    r"""Append the mean standard deviation over groups of samples as an extra feature.

    Input (B, F) -> (B, F + 1), or (B, C, H, W) -> (B, C + 1, H, W). Groups are runs of
    consecutive samples of size gcd(group_size, B). With a power-of-two `group_size`, a
    batch made by concatenating equal real and generated batches (the trainer's fused critic
    pass) never mixes the two in one group.
    """

    def __init__(self, group_size: int = 4, eps: float = 1e-8):
        super().__init__()
        self.group_size = group_size
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        batch = x.shape[0]
        group = math.gcd(self.group_size, batch)
        grouped = x.reshape(batch // group, group, *x.shape[1:])
        std = torch.sqrt(grouped.var(dim=1, unbiased=False) + self.eps)  # (B/G, ...)
        stat = std.flatten(1).mean(dim=1).repeat_interleave(group)  # (B,)
        shape = (batch, 1, *x.shape[2:])
        return torch.cat([x, stat.view(batch, *([1] * (x.dim() - 1))).expand(shape)], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"


class MinibatchDiscrimination(nn.Module):
    r"""Salimans et al. minibatch discrimination: (B, F) -> (B, F + num_kernels)."""

    def __init__(self, in_features: int, num_kernels: int = 16, kernel_dim: int = 8):
        super().__init__()
        self.in_features, self.num_kernels, self.kernel_dim = in_features, num_kernels, kernel_dim
        self.T = nn.Parameter(torch.empty(in_features, num_kernels * kernel_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.T, std=1.0 / math.sqrt(self.in_features))

    def forward(self, x: Tensor) -> Tensor:
        m = (x @ self.T).view(-1, self.num_kernels, self.kernel_dim)  # (B, K, D)
        l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(-1)  # (B, B, K)
        closeness = torch.exp(-l1).sum(dim=1) - 1.0  # exclude self (exp(0) = 1)
        return torch.cat([x, closeness], dim=1)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, num_kernels={self.num_kernels}, kernel_dim={self.kernel_dim}"


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """Squared distance between mean critic features of a real and a generated batch."""
    return (real_features.detach().mean(0) - fake_features.mean(0)).pow(2).sum()


def mode_seeking_loss(fake: Sequence[Tensor], z: Tensor, eps: float = 1e-5) -> Tensor:
    """Mode-seeking regulariser (Mao et al., 2019): penalise samples that stay the same
    while the latent code changes. Sample i is paired with sample i + B/2 of the same batch,
    so it costs no extra generator pass. Returns 1 / (mean |dG| / mean |dz| + eps).
    """
    half = z.shape[0] // 2
    dz = (z[:half] - z[half:2 * half]).abs().mean()
    dx = torch.stack([(x[:half] - x[half:2 * half]).abs().flatten(1).mean(1) for x in fake]).mean()
    return 1.0 / (dx / dz + eps)


def _averaged_buffers(model: nn.Module) -> list[bool]:
    """For each of `model.buffers()`, in order: is it a floating-point, persistent buffer?"""
    flags = {}
    for module in model.modules():
        for name, buffer in module.named_buffers(recurse=False):
            flags.setdefault(id(buffer), buffer.is_floating_point() and name not in module._non_persistent_buffers_set)
    return [flags[id(b)] for b in model.buffers()]


class _WarmupEMA(AveragedModel):
    """AveragedModel with a warm-up decay and an update that is one foreach lerp over tensor
    lists built once (AveragedModel's own update walks and regroups every tensor on every
    call, a noticeable share of a small generator's step)."""

    def __init__(self, model: nn.Module, decay: float):
        super().__init__(model, use_buffers=True)
        self.decay = decay
        self._pairs: tuple[nn.Module, list, list, list] | None = None

    def update_parameters(self, model: nn.Module) -> None:
        k = int(self.n_averaged)
        if k == 0:  # the first update copies
            super().update_parameters(model)
            return
        if self._pairs is None or self._pairs[0] is not model:
            ours = [*self.module.parameters(), *self.module.buffers()]
            theirs = [*model.parameters(), *model.buffers()]
            averaged = [*([True] * len(list(model.parameters()))), *_averaged_buffers(model)]
            # Running statistics are averaged; counters (num_batches_tracked) and constants
            # (non-persistent buffers such as a -inf mask, where a lerp would give NaN) are copied.
            floats = [(a, c) for a, c, avg in zip(ours, theirs, averaged) if avg]
            copied = [(a, c) for a, c, avg in zip(ours, theirs, averaged) if not avg]
            self._pairs = (model, [a for a, _ in floats], [c.detach() for _, c in floats], copied)
        _, averaged, current, counters = self._pairs
        with torch.no_grad():
            torch._foreach_lerp_(averaged, current, 1.0 - min(self.decay, (1.0 + k) / (10.0 + k)))
            for a, c in counters:
                a.copy_(c)
        self.n_averaged += 1


def make_ema(model: nn.Module, decay: float, warmup: bool = True) -> AveragedModel:
    """EMA copy of `model` (parameters and buffers); call `.update_parameters(model)`.

    With `warmup`, update k uses decay min(decay, (1 + k) / (10 + k)): a plain 0.999 EMA
    still holds 47 % of the random initial weights after 750 updates, which for a GAN
    trained for a few thousand steps means noise instead of samples.
    """
    if not warmup:
        return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    return _WarmupEMA(model, decay)


def checkpoint_generator(generator: nn.Module, state: dict, ema_decay: float, use_ema: bool = True) -> nn.Module:
    """`generator` with a checkpoint's weights, or, with `use_ema` and an EMA copy in the
    checkpoint, that copy (the generator its evaluations sampled)."""
    generator.load_state_dict(state["generator"])
    if not use_ema or state.get("ema") is None:
        return generator
    ema = make_ema(generator, ema_decay)
    ema.load_state_dict(state["ema"])
    return ema.module
