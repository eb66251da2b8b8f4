"""Data-parallel training with torch.distributed, launched by `torchrun`.

Single-process runs get a trivial context, so the trainer has one code path. Under torchrun
(WORLD_SIZE > 1) the process group uses NCCL on CUDA and gloo on CPU; only rank 0 logs,
samples and writes checkpoints.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(use_cuda: bool) -> DistContext:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistContext()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def wrap(module: nn.Module, ctx: DistContext, device: torch.device) -> nn.Module:
    if not ctx.enabled or not any(p.requires_grad for p in module.parameters()):
        return module
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)


def any_rank(ctx: DistContext, flag: bool, device: torch.device) -> bool:
    """True on every rank if `flag` is true on any: decisions all replicas must share."""
    if not ctx.enabled:
        return flag
    value = torch.tensor([float(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        # Without the barrier rank 0 can exit (and tear down gloo) while others still talk.
        dist.barrier()
        dist.destroy_process_group()
