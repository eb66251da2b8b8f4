"""One network's optimizer step, eager or compiled, behind one interface.

`NetworkUpdate.losses(*inputs)` computes a network's losses; `step(loss)` applies the
optimizer step for them. The update owns the network's optimizer (fused Adam), learning-rate
schedule, loss scaler (fp16) and gradient clipping, so the training loop reads the same
whichever way the gradients are computed:

- eager: autograd's backward from the loss (through the GradScaler when fp16);
- compiled (`train.compile`): the loss and its parameter gradients as one torch.func graph
  (`molgan.core.compiled.CompiledUpdate`); the step takes those gradients.
"""
from __future__ import annotations

import contextlib
from typing import Callable

import torch
from torch import Tensor, nn

from molgan.core.compiled import CompiledUpdate, adam_step


class NetworkUpdate:
    """The update of `module`.

    Args:
        module: the network whose parameters are trained.
        eager_losses: ``(*inputs) -> (loss, *outputs)`` through autograd.
        compiled_losses_on: ``(network, *inputs) -> (loss, *outputs)`` with `network` the
            module as a function of its parameters; when given, `losses` runs it as one
            compiled graph that also returns the gradients (no backward in `step`).
        lr_factor: the learning-rate schedule, step -> multiplier of `lr`.
    """

    def __init__(self, module: nn.Module, eager_losses: Callable[..., tuple[Tensor, ...]], lr: float,
                 betas: tuple[float, float], lr_factor: Callable[[int], float], scaler: torch.amp.GradScaler,
                 grad_clip: float = 0.0, compiled_losses_on: Callable[..., tuple[Tensor, ...]] | None = None):
        self.module, self.eager_losses, self.scaler, self.grad_clip = module, eager_losses, scaler, grad_clip
        # One fused kernel per update (CPU and CUDA): at MolGAN's small sizes the per-tensor
        # launches of the foreach version dominate Adam's cost.
        self.optimizer = torch.optim.Adam(module.parameters(), lr, betas=betas, fused=True)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_factor)
        self.compiled = CompiledUpdate(module, compiled_losses_on) if compiled_losses_on is not None else None
        self._grads: dict[str, Tensor] | None = None

    def losses(self, *inputs) -> tuple[Tensor, ...]:
        """(loss, *outputs) for `inputs`; the compiled form keeps the gradients for `step`."""
        if self.compiled is None:
            return self.eager_losses(*inputs)
        self._grads, outputs = self.compiled(*inputs)
        return outputs

    def step(self, loss: Tensor) -> None:
        """The optimizer step for the losses `losses` just computed."""
        if self.compiled is None:
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self._clip_and_step()
        elif self.grad_clip > 0 or not self.optimizer.state:  # clipping reads .grad; step 1 creates Adam's state
            for name, p in self.compiled.named_parameters:
                p.grad = self._grads[name]
            self._clip_and_step()
            self.optimizer.zero_grad(set_to_none=True)
        else:
            adam_step(self.optimizer, self.compiled.named_parameters, self._grads)
        self._grads = None

    def _clip_and_step(self) -> None:
        if self.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict(), "schedule": self.schedule.state_dict(),
                "scaler": self.scaler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.scaler.load_state_dict(state["scaler"])

    def __repr__(self) -> str:
        kind = "compiled" if self.compiled is not None else "eager"
        return f"{type(self).__name__}({type(self.module).__name__}, {kind}, lr={self.optimizer.defaults['lr']:g})"


@contextlib.contextmanager
def frozen(module: nn.Module):
    """Temporarily stop gradients for `module`'s parameters (inputs still get them): the
    critic during the generator's update, whose gradients would be thrown away."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
