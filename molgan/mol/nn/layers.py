"""Dense graph layers for molecules given as soft or one-hot tensors.

The generator emits dense, *soft* adjacency tensors (B, N, N, E) that have no sparse
form, so these layers work on dense batches with einsum (N <= a few dozen atoms). PyG's
RGCNConv is sparse-only; these follow its typed-layer conventions instead.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


class RelationalGraphConv(nn.Module):
    r"""Dense relational GCN layer (Schlichtkrull et al.), one weight per bond type.

    h_i' = W_0 h_i + b + sum_r sum_j A_ijr W_r h_j / deg_i,  deg_i = max(1, sum_jr A_ijr)

    Two orders compute the same sum; the layer takes the cheaper one for its sizes (speed
    matters: the gradient penalty differentiates this layer twice on every critic step).
    Transform first (in >= out): one matmul of x with all relation weights side by side,
    then one batched matmul with the adjacency viewed as (B, N, N*R). Aggregate first
    (in < out, e.g. atom types -> 128): one batched matmul of the adjacency viewed as
    (B, N*R, N) with x, then one matmul with the stacked weights (the self connection's
    too), which halves the FLOPs of an input layer, never builds the (B, N*R, out) message
    tensor, and avoids a weight gradient only `in` columns wide (slow in BLAS).
    `normalized_adjacency(adj)` can be computed once and shared by all layers of a network.

    Args:
        in_channels, out_channels: feature sizes.
        num_relations: bond types, *excluding* "no bond".
    Shapes: x (B, N, F_in), adj (B, N, N, R) -> (B, N, F_out).
    """

    def __init__(self, in_channels: int, out_channels: int, num_relations: int):
        super().__init__()
        self.in_channels, self.out_channels, self.num_relations = in_channels, out_channels, num_relations
        self.aggregate_first = in_channels < out_channels
        self.relation_weight = nn.Parameter(torch.empty(num_relations, in_channels, out_channels))
        self.self_loop = nn.Linear(in_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.relation_weight.view(-1, self.out_channels))
        self.self_loop.reset_parameters()

    @staticmethod
    def normalized_adjacency(adj: Tensor) -> Tensor:
        """(B, N, N, R) -> the same shape, each row i divided by atom i's degree."""
        degree = adj.sum(dim=(2, 3)).clamp_min(1.0)
        return adj / degree[:, :, None, None]

    def forward(self, x: Tensor, adj: Tensor, normalized: Tensor | None = None) -> Tensor:
        batch, n, r, o = x.shape[0], x.shape[1], self.num_relations, self.out_channels
        if normalized is None:
            normalized = self.normalized_adjacency(adj)
        if self.aggregate_first:  # rows (i, r): sum_j A_ijr x_j; then [.., x_i] @ [W_1; ...; W_R; W_0] + b
            neighbours = torch.bmm(normalized.transpose(2, 3).reshape(batch, n * r, n), x)
            stacked = torch.cat([neighbours.view(batch, n, r * self.in_channels), x], -1)
            weights = torch.cat([self.relation_weight.view(r * self.in_channels, o), self.self_loop.weight.t()])
            return torch.addmm(self.self_loop.bias, stacked.view(batch * n, -1), weights).view(batch, n, o)
        weights = self.relation_weight.permute(1, 0, 2).reshape(self.in_channels, r * o)
        messages = torch.matmul(x, weights).view(batch, n * r, o)  # every x_j W_r; rows (j, r) as in `normalized`
        return torch.baddbmm(self.self_loop(x), normalized.reshape(batch, n, n * r), messages)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"num_relations={self.num_relations})")


class GraphAggregation(nn.Module):
    r"""Gated sum readout: tanh( sum_i mask_i * sigmoid(i([h_i, x_i])) * tanh(j([h_i, x_i])) ).

    Shapes: h (B, N, F_h), x (B, N, F_x), mask (B, N) -> (B, out_channels).
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.gate = nn.Linear(in_channels, out_channels)
        self.value = nn.Linear(in_channels, out_channels)

    def reset_parameters(self) -> None:
        self.gate.reset_parameters()
        self.value.reset_parameters()

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        out = torch.sigmoid(self.gate(h)) * torch.tanh(self.value(h)) * mask.unsqueeze(-1)
        return torch.tanh(out.sum(dim=1))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"
