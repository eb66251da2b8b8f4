"""`train.compile`: a network's update as one compiled graph, and Adam on its gradients.

torch.compile cannot compile `autograd.grad(create_graph=True)`, the gradient penalty's
double backward. Written with torch.func instead (a `grad` over the critic's parameters
around the penalty's `grad` over its inputs), the forward, the penalty and the parameter
gradients trace as one first-order graph that the compiler can fuse as a whole, instead of
a compiled forward followed by autograd's uncompiled backward.
"""
from __future__ import annotations

import shutil
from typing import Callable

import torch
from torch import Tensor, nn
from torch.optim.adam import adam

from molgan.errors import InputError


def require_cpp_compiler(device: torch.device) -> None:
    """Inductor builds C++ kernels on the CPU: say so before the first step, not inside it."""
    if device.type == "cpu" and not any(shutil.which(cxx) for cxx in ("g++", "c++", "clang++")):
        raise InputError("train.compile needs a C++ compiler on the CPU (no g++, c++ or clang++ found); "
                         "install one or train without it")


def has_batch_norm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


class CompiledUpdate:
    """`losses_on(network, *inputs) -> (loss, *outputs)`, differentiated with respect to
    `module`'s parameters, as one static-shape compiled graph; `network` is `module` as a
    function of those parameters.

    Calling it returns ({parameter name: gradient of the loss}, (loss, *outputs)). For
    modules without running statistics (a transform cannot update buffers), trained without
    a GradScaler (fp16 loss scaling wants autograd's backward).
    """

    def __init__(self, module: nn.Module, losses_on: Callable[..., tuple[Tensor, ...]]):
        self.module, self.losses_on = module, losses_on
        self.named_parameters = list(module.named_parameters())  # looked up once, not per step
        self._graph = torch.compile(self._loss_and_grads, dynamic=False)

    def _loss_and_grads(self, params: dict[str, Tensor], *inputs):
        buffers = dict(self.module.named_buffers())

        def loss_of(params):
            def network(*args, **kwargs):
                return torch.func.functional_call(self.module, (params, buffers), args, kwargs)
            total, *rest = self.losses_on(network, *inputs)
            return total, (total.detach(), *rest)

        return torch.func.grad(loss_of, has_aux=True)(params)

    def __call__(self, *inputs) -> tuple[dict[str, Tensor], tuple[Tensor, ...]]:
        # No autograd graph around the transform (it differentiates by itself): with frozen
        # or detached tensors elsewhere, the compiled graph is inference-only.
        with torch.no_grad():
            return self._graph({name: p.detach() for name, p in self.named_parameters}, *inputs)


def adam_step(optimizer: torch.optim.Adam, named_parameters: list[tuple[str, nn.Parameter]],
              grads: dict[str, Tensor]) -> None:
    """`optimizer.step()` for gradients held in a dict instead of `.grad`: Adam's functional
    form on the optimizer's own state, without Optimizer.step's per-call Python or setting
    a `.grad` per parameter (overhead that matters at MolGAN's small sizes). The state must exist already
    (the first step goes through `optimizer.step()`); one parameter group."""
    group, states = optimizer.param_groups[0], [optimizer.state[p] for _, p in named_parameters]
    adam([p for _, p in named_parameters], [grads[name] for name, _ in named_parameters],
         [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [], [s["step"] for s in states],
         fused=group["fused"], amsgrad=group["amsgrad"], beta1=group["betas"][0], beta2=group["betas"][1],
         lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"])
