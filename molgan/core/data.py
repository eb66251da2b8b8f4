"""In-memory training data as tensors, with a resumable, distributed batch order.

GAN datasets here fit in memory (QM9 as dense graphs is 11 MB), so batches are taken by
indexing whole tensors instead of collating items one by one. The order comes from
`DistributedSampler` (one replica when not distributed): epoch e is a fixed permutation
of seed + e, so a run resumed at (epoch, batch) sees exactly the batches it would have.
"""
from __future__ import annotations

from typing import Iterator

import torch
from torch import Tensor
from torch.utils.data import Dataset, DistributedSampler


class TensorData(Dataset):
    """Rows of several tensors with the same first dimension; `__getitems__` batches them."""

    def __init__(self, *tensors: Tensor):
        if not tensors or any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("TensorData needs tensors with the same number of rows")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: list[int]) -> tuple[Tensor, ...]:
        index = torch.as_tensor(indices)
        return tuple(t[index] for t in self.tensors)


class BatchStream:
    """Endless batches of `batch_size` rows; `state()` / `load_state()` resume exactly."""

    def __init__(self, data: TensorData, batch_size: int, seed: int, rank: int = 0,
                 world_size: int = 1, pin_memory: bool = False):
        if len(data) < batch_size * world_size:
            raise ValueError(f"{len(data)} training rows are fewer than one batch of "
                             f"{batch_size} per process")
        self.data = data
        self.batch_size = batch_size
        self.pin_memory = pin_memory
        self.sampler = DistributedSampler(data, num_replicas=world_size, rank=rank,
                                          shuffle=True, seed=seed, drop_last=True)
        self.epoch = 0
        self.position = 0  # batches already taken from this epoch
        self._order: list[int] | None = None

    @property
    def batches_per_epoch(self) -> int:
        return len(self.sampler) // self.batch_size

    def state(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "seed": self.sampler.seed}

    def load_state(self, state: dict) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self.sampler.seed = int(state["seed"])  # the order is the run's, whatever --seed says now
        self._order = None

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        return self

    def __next__(self) -> tuple[Tensor, ...]:
        if self.position >= self.batches_per_epoch:
            self.epoch, self.position, self._order = self.epoch + 1, 0, None
        if self._order is None:
            self.sampler.set_epoch(self.epoch)
            self._order = list(self.sampler)
        start = self.position * self.batch_size
        self.position += 1
        batch = self.data.__getitems__(self._order[start : start + self.batch_size])
        if self.pin_memory:
            batch = tuple(t.pin_memory() for t in batch)
        return batch
