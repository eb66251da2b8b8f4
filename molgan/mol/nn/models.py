"""MolGAN networks: an MLP graph generator and a relational-GCN critic / reward network.

Tensors: atoms (B, N, T) and bonds (B, N, N, E), channel 0 of each meaning "no atom" /
"no bond". Real molecules enter as one-hot, generated ones as probabilities or
straight-through one-hot; every network here accepts both.
"""
from __future__ import annotations

from typing import Literal, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.core.stabilizers import MinibatchDiscrimination, MinibatchStd
from molgan.mol.chem.vocab import BOND_ORDER
from molgan.mol.nn.layers import GraphAggregation, RelationalGraphConv
from molgan.mol.nn.valence import valence_decode

PostProcess = Literal["softmax", "gumbel", "st-gumbel", "st-argmax", "st-valence"]


def _mlp(sizes: Sequence[int], dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        # Identity for p = 0 keeps the module indices (and so checkpoints) the same.
        layers += [nn.Linear(a, b), nn.Tanh(), nn.Dropout(dropout) if dropout else nn.Identity()]
    return nn.Sequential(*layers)


def _straight_through(probs: Tensor, index: Tensor) -> Tensor:
    hard = F.one_hot(index, probs.shape[-1]).to(probs.dtype)
    return hard - probs.detach() + probs  # forward: one-hot; backward: softmax gradient


class MolGenerator(nn.Module):
    r"""z (B, Z) [and a condition (B, C)] -> (bonds (B, N, N, E), atoms (B, N, T)) after
    post-processing.

    Bond logits are symmetrised ((L + L^T) / 2) and the diagonal forced to "no bond".
    `logits(z, cond)` gives the raw (symmetric) logits for decoding. A conditioned generator
    (`condition_dim` > 0) reads the normalised properties beside z; without them it is given
    zeros: the training data's mean properties.
    """

    def __init__(self, latent_dim: int, max_atoms: int, atom_types: int, bond_types: int,
                 hidden: Sequence[int] = (128, 256, 512), dropout: float = 0.0,
                 post: PostProcess = "st-argmax", temperature: float = 1.0,
                 valence_caps: Sequence[int] | None = None, kekule_roles: Sequence[int] | None = None,
                 condition_dim: int = 0):
        super().__init__()
        if post == "st-valence" and valence_caps is None:
            raise ValueError("post='st-valence' needs the atom types' valence caps")
        self.latent_dim, self.max_atoms = latent_dim, max_atoms
        self.atom_types, self.bond_types = atom_types, bond_types
        self.post, self.temperature = post, temperature
        self.condition_dim = condition_dim
        self.body = _mlp([latent_dim + condition_dim, *hidden], dropout)
        self.atom_head = nn.Linear(hidden[-1], max_atoms * atom_types)
        self.bond_head = nn.Linear(hidden[-1], max_atoms * max_atoms * bond_types)
        diagonal = torch.zeros(max_atoms, max_atoms, bond_types)
        diagonal[torch.arange(max_atoms), torch.arange(max_atoms), 1:] = float("-inf")
        self.register_buffer("diagonal_mask", diagonal, persistent=False)
        caps = torch.tensor(list(valence_caps) if valence_caps is not None else [0] * atom_types)
        self.register_buffer("valence_caps", caps.long(), persistent=False)
        # Each atom type's role in aromatic systems (molgan/mol/nn/valence.py); None: unchecked.
        roles = torch.tensor(list(kekule_roles)).long() if kekule_roles is not None else None
        self.register_buffer("kekule_roles", roles, persistent=False)

    def logits(self, z: Tensor, cond: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if self.condition_dim:
            if cond is None:
                cond = z.new_zeros(z.shape[0], self.condition_dim)
            z = torch.cat([z, cond.to(z.dtype)], -1)
        h = self.body(z)
        n, t, e = self.max_atoms, self.atom_types, self.bond_types
        bonds = self.bond_head(h).view(-1, n, n, e)
        bonds = (bonds + bonds.transpose(1, 2)) / 2 + self.diagonal_mask
        return bonds, self.atom_head(h).view(-1, n, t)

    def _post(self, logits: Tensor, symmetric: bool) -> Tensor:
        if self.post == "softmax":
            return torch.softmax(logits / self.temperature, -1)
        if self.post == "st-argmax":
            if not torch.is_grad_enabled():  # only the value is needed: the argmax's one-hot, no softmax
                return torch.zeros_like(logits).scatter_(-1, logits.argmax(-1, keepdim=True), 1.0)
            probs = torch.softmax(logits / self.temperature, -1)
            return _straight_through(probs, probs.argmax(-1))
        # Gumbel noise must be symmetric too, or the sampled bond i-j differs from j-i.
        gumbel = -torch.empty_like(logits).exponential_().log()
        if symmetric:
            gumbel = torch.triu(gumbel.permute(0, 3, 1, 2), 1).permute(0, 2, 3, 1)
            gumbel = gumbel + gumbel.transpose(1, 2)
        probs = torch.softmax((logits + gumbel) / self.temperature, -1)
        return probs if self.post == "gumbel" else _straight_through(probs, probs.argmax(-1))

    def graphs(self, bond_logits: Tensor, atom_logits: Tensor) -> tuple[Tensor, Tensor]:
        """The graphs of the output layer as indices, (B, N, N) bonds and (B, N) atoms: the argmax,
        or with post="st-valence" the valence-aware layer's, a correction (molgan/mol/nn/valence.py)."""
        if self.post != "st-valence":
            return bond_logits.argmax(-1), atom_logits.argmax(-1)
        return valence_decode(torch.softmax(bond_logits.detach().float(), -1), atom_logits.argmax(-1),
                              self.valence_caps, roles=self.kekule_roles)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> tuple[Tensor, Tensor]:
        bonds, atoms = self.logits(z, cond)
        if self.post == "st-valence":
            bond_index, atom_index = self.graphs(bonds, atoms)
            if not torch.is_grad_enabled():
                return (F.one_hot(bond_index, self.bond_types).to(bonds.dtype),
                        F.one_hot(atom_index, self.atom_types).to(atoms.dtype))
            bond_probs = torch.softmax(bonds / self.temperature, -1)
            atom_probs = torch.softmax(atoms / self.temperature, -1)
            return _straight_through(bond_probs, bond_index), _straight_through(atom_probs, atom_index)
        return self._post(bonds, symmetric=True), self._post(atoms, symmetric=False)

    def extra_repr(self) -> str:
        return (f"latent_dim={self.latent_dim}, max_atoms={self.max_atoms}, atom_types={self.atom_types}, "
                f"bond_types={self.bond_types}, post={self.post!r}, temperature={self.temperature}"
                + (f", condition_dim={self.condition_dim}" if self.condition_dim else ""))


#: Closed walks of lengths 3 .. 2 + RING_WALKS through each atom: the critic's view of rings.
RING_WALKS = 4


def closed_walks(adjacency: Tensor) -> Tensor:
    """(B, N, RING_WALKS) log(1 + closed walks of length 3, 4, ... through each atom) of a
    (B, N, N) adjacency (soft or 0/1). Two R-GCN layers see two bonds away: whether an atom
    lies on a 3-, 5- or 6-ring, or on a cage of small rings, shows in these counts only."""
    walks = adjacency @ adjacency
    counts = []
    for _ in range(RING_WALKS):
        walks = walks @ adjacency
        counts.append(torch.diagonal(walks, dim1=1, dim2=2))
    return torch.log1p(torch.stack(counts, -1))


class GraphCritic(nn.Module):
    r"""R-GCN over bond channels, gated graph readout, MLP head -> one score per graph.

    Used as the WGAN critic (raw score) and as the reward network (`sigmoid_output`).
    With `pack` = m > 1 (PacGAN), m consecutive graphs are scored jointly: (B,) -> (B/m,).
    Node inputs are the atom-type vector plus, with `valence_feature`, each atom's summed
    bond order (so valence violations are visible in one step). Absent atoms are masked by
    their "no atom" probability. A conditioned critic (`condition_dim` > 0) reads the
    normalised properties (B, C) beside the graph readout, judging graph and condition
    together. Shapes: bonds (B, N, N, E), atoms (B, N, T) -> (B,), or (B, outputs) when
    `outputs` > 1 (a property regressor).
    """

    def __init__(self, atom_types: int, bond_types: int, conv_dims: Sequence[int] = (128, 64),
                 readout_dim: int = 128, head_dims: Sequence[int] = (128, 64), dropout: float = 0.0,
                 valence_feature: bool = True, minibatch_std: bool = False, sigmoid_output: bool = False,
                 pack: int = 1, minibatch_discrimination: bool = False, ring_feature: bool = False,
                 condition_dim: int = 0, outputs: int = 1):
        super().__init__()
        self.ring_feature, self.condition_dim, self.outputs = ring_feature, condition_dim, outputs
        self.valence_feature, self.sigmoid_output, self.pack = valence_feature, sigmoid_output, pack
        self.atom_types, self.bond_types = atom_types, bond_types
        in_dim = atom_types + int(valence_feature) + RING_WALKS * int(ring_feature)
        dims = [in_dim, *conv_dims]
        self.convs = nn.ModuleList(RelationalGraphConv(a, b, bond_types - 1) for a, b in zip(dims[:-1], dims[1:]))
        self.readout = GraphAggregation(conv_dims[-1] + in_dim, readout_dim)
        self.head = _mlp([(readout_dim + condition_dim) * pack, *head_dims], dropout)
        if minibatch_discrimination:
            self.batch_layer: nn.Module = MinibatchDiscrimination(head_dims[-1])
            width = head_dims[-1] + self.batch_layer.num_kernels
        else:
            self.batch_layer = MinibatchStd() if minibatch_std else nn.Identity()
            width = head_dims[-1] + int(minibatch_std)
        self.out = nn.Linear(width, outputs)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.register_buffer("bond_order", torch.tensor(BOND_ORDER[:bond_types]) / 4.0, persistent=False)
        self.register_buffer("bond_present", (torch.arange(bond_types) > 0).float(), persistent=False)
        # Channel selections as matmuls, not slices: the gradient penalty differentiates this
        # twice, and a slice's backward allocates and fills a zero tensor each time.
        self.register_buffer("atom_present", (torch.arange(atom_types) > 0).float(), persistent=False)
        self.register_buffer("bond_channels", torch.eye(bond_types)[:, 1:], persistent=False)

    def atom_inputs(self, bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        """(B, N, F) per-atom inputs: the atom type, then (when on) the summed bond order / 4 and
        the closed walks through the atom; and the (B, N) presence mask."""
        mask = atoms @ self.atom_present  # 1 - P(no atom)
        x = atoms
        if self.valence_feature:
            x = torch.cat([x, (bonds @ self.bond_order).sum(dim=2).unsqueeze(-1)], -1)
        if self.ring_feature:
            x = torch.cat([x, closed_walks(bonds @ self.bond_present)], -1)
        return x, mask

    def forward(self, bonds: Tensor, atoms: Tensor, cond: Tensor | None = None, features: bool = False):
        x, mask = self.atom_inputs(bonds, atoms)
        adj = bonds @ self.bond_channels  # (B, N, N, E - 1): the real bond types
        normalized = RelationalGraphConv.normalized_adjacency(adj)  # shared by every layer
        h, node_mask = x, mask.unsqueeze(-1)
        for conv in self.convs:
            h = self.dropout(torch.tanh(conv(h, adj, normalized))) * node_mask
        graph = self.readout(torch.cat([h, x], -1), mask)
        if self.condition_dim:
            if cond is None:
                raise ValueError(f"this critic is conditioned on {self.condition_dim} properties: pass cond")
            graph = torch.cat([graph, cond.to(graph.dtype)], -1)
        if self.pack > 1:  # PacGAN: one score per pack of samples, so collapse is visible
            graph = graph.reshape(graph.shape[0] // self.pack, -1)
        graph = self.head(graph)
        score = self.out(self.batch_layer(graph))
        score = score.squeeze(-1) if self.outputs == 1 else score
        if self.sigmoid_output:
            score = torch.sigmoid(score)
        return (score, graph) if features else score
