"""A history of generated samples for the critic (Shrivastava et al., 2017; CycleGAN's image pool).

The critic of a translation GAN sees half of each generated batch from earlier generator
steps, so it cannot chase only the generator's latest output; what it remembers is part of
the checkpoint, and its draws come from torch's global generator (saved with every run), so a
resumed run draws what the uninterrupted one would have.
"""
from __future__ import annotations

import torch
from torch import Tensor


class SamplePool:
    """Up to `size` earlier samples, each a row of several tensors (a sample and its
    condition). `size` 0: every query returns its batch as it is."""

    def __init__(self, size: int):
        if size < 0:
            raise ValueError(f"a sample pool holds 0 or more samples, got {size}")
        self.size = size
        self.rows: list[tuple[Tensor, ...]] = []

    def query(self, *batch: Tensor) -> tuple[Tensor, ...]:
        """The batch (tensors of B rows) to show the critic: while the pool fills, the batch as
        it is (each row kept); then each row, with probability 1/2, swapped for a random stored
        one (which the new row replaces)."""
        if self.size == 0:
            return batch
        out = [list(t.unbind(0)) for t in batch]
        for k in range(batch[0].shape[0]):
            row = tuple(t[k].detach().clone() for t in batch)
            if len(self.rows) < self.size:
                self.rows.append(row)
            elif float(torch.rand(())) < 0.5:
                index = int(torch.randint(len(self.rows), ()))
                stored, self.rows[index] = self.rows[index], row
                for column, value in zip(out, stored):
                    column[k] = value.to(batch[0].device)
        return tuple(torch.stack(column) for column in out)

    def state_dict(self) -> dict:
        return {"size": self.size, "rows": [tuple(t.cpu() for t in row) for row in self.rows]}

    def load_state_dict(self, state: dict, device: torch.device | None = None) -> None:
        self.rows = [tuple(t.to(device) if device is not None else t for t in row) for row in state["rows"]]

    def __repr__(self) -> str:
        return f"SamplePool(size={self.size}, held={len(self.rows)})"
