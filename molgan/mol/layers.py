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

    h_i' = act( W_0 h_i + sum_r sum_j A_ijr W_r h_j / deg_i ),  deg_i = max(1, sum_jr A_ijr)

    Args:
        in_channels, out_channels: feature sizes.
        num_relations: bond types, *excluding* "no bond".
    Shapes: x (B, N, F_in), adj (B, N, N, R) -> (B, N, F_out).
    """

    def __init__(self, in_channels: int, out_channels: int, num_relations: int):
        super().__init__()
        self.in_channels, self.out_channels, self.num_relations = in_channels, out_channels, num_relations
        self.relation_weight = nn.Parameter(torch.empty(num_relations, in_channels, out_channels))
        self.self_loop = nn.Linear(in_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.relation_weight.view(-1, self.out_channels))
        self.self_loop.reset_parameters()

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        messages = torch.einsum("bnf,rfo->bnro", x, self.relation_weight)  # (B, N, R, O)
        aggregated = torch.einsum("bijr,bjro->bio", adj, messages)
        degree = adj.sum(dim=(2, 3)).clamp_min(1.0).unsqueeze(-1)
        return self.self_loop(x) + aggregated / degree

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
