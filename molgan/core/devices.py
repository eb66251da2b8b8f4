"""Device selection and mixed precision, written for CUDA and tested on CPU.

AMP follows nanoGPT: an `autocast` context or a `nullcontext`. On CUDA, "auto" picks bf16
where the GPU supports it (no loss scaling needed) and fp16 with a GradScaler otherwise;
on CPU, "auto" means full precision (bf16 can be forced for testing).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from molgan.errors import InputError


def select_device(requested: str = "auto", local_rank: int = 0) -> torch.device:
    if requested not in ("auto", "cpu", "cuda") and not requested.startswith("cuda:"):
        raise InputError(f"--device must be auto, cpu or cuda, got {requested!r}")
    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise InputError("--device cuda requested but no CUDA device is available")
    if requested.startswith("cuda:"):
        return torch.device(requested)
    return torch.device("cuda", local_rank)


@dataclass(frozen=True)
class Precision:
    """Resolved mixed-precision policy for one device."""

    device_type: str
    dtype: torch.dtype | None  # None: full precision

    @property
    def needs_scaler(self) -> bool:
        return self.dtype == torch.float16

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    def scaler(self) -> torch.amp.GradScaler:
        # A disabled scaler is a no-op with the same interface: one code path.
        return torch.amp.GradScaler(self.device_type, enabled=self.needs_scaler)


def resolve_precision(device: torch.device, amp: str = "auto") -> Precision:
    if amp == "off":
        return Precision(device.type, None)
    if amp == "auto":
        if device.type != "cuda":
            return Precision(device.type, None)
        bf16 = torch.cuda.is_bf16_supported()
        return Precision("cuda", torch.bfloat16 if bf16 else torch.float16)
    if amp == "bf16":
        return Precision(device.type, torch.bfloat16)
    if amp == "fp16":
        if device.type != "cuda":
            raise InputError("amp = 'fp16' needs a CUDA device (use 'bf16' or 'off' on CPU)")
        return Precision("cuda", torch.float16)
    raise InputError(f"amp must be auto, off, bf16 or fp16, got {amp!r}")


def to_device(tensors, device: torch.device):
    """Move a tuple of tensors; pinned host memory makes the copy asynchronous on CUDA."""
    non_blocking = device.type == "cuda"
    return tuple(t.to(device, non_blocking=non_blocking) if t is not None else None for t in tensors)
