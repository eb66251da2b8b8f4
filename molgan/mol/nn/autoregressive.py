"""An autoregressive graph generator: atoms one at a time, in the data's canonical order.

The dataset numbers atoms in canonical SMILES output order (molgan/mol/chem/graph.py), a
depth-first walk: every atom after the first bonds to an earlier one. The generator makes
the same walk. Before atom k it has a causal graph transformer's state of atoms 0..k-1
(attention biased by the bond types between them); it chooses k's type (or "no atom":
stop), then its *parent*, the latest earlier atom it bonds to, with the bond type (one
choice among all (atom, type) pairs), then, for each earlier atom before the parent, a bond
type or none (ring closures). Every choice is masked to what the atoms' valence caps
still allow, so each sample is one connected fragment within the caps; with kekulized data
that is a valid molecule. Those masks are a correction, as a valence check is in other
autoregressive models: `sample(..., valence_masks=False)` leaves them off (only the structure
stays: a first atom, a parent among the earlier atoms), for validity without correction.

Its randomness is z: z (B, latent_dim) holds one standard normal per choice, and each
choice takes the category where the cumulative probability passes Φ(z) (inverse-CDF
sampling). So a sample is a function of z, as for any GAN generator, and z ~ N(0, I) draws
from the model's distribution exactly (a latent scale other than 1 does not).

It is trained by maximum likelihood (`negative_log_likelihood`, all positions of a batch
in one pass) and can then be trained by the critic: `forward` returns the sampled graph as
one-hot tensors whose gradient is that of the choices' probabilities (straight-through).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.mol.chem.vocab import BOND_MIN_VALENCE

#: Atom distances (in the atom order) beyond this share one embedding.
MAX_DISTANCE = 32
#: Embedded valence already used by an atom (in units of BOND_MIN_VALENCE), and neighbours.
MAX_USED, MAX_DEGREE = 12, 6
#: Bonds from the parent to an earlier atom told apart (a ring closure there makes a ring of
#: that many + 2 atoms); farther or unconnected atoms share one embedding.
MAX_PATH = 8
#: Logit gap between the chosen category and the rest in `logits` (decoders take the argmax).
_HARD = 100.0


class CausalGraphBlock(nn.Module):
    r"""Pre-norm transformer block whose attention scores get an additive bias (B, H, L, L)
    (bond types and distances; -inf above the diagonal). `step` runs one new position
    against cached keys and values. Shapes: x (B, L, D) -> (B, L, D)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.dim, self.heads = dim, heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def _heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        b, n, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, self.dim // self.heads).permute(2, 0, 3, 1, 4)
        return q, k, v

    def _finish(self, x: Tensor, attended: Tensor) -> Tensor:
        b, _, n, _ = attended.shape
        x = x + self.proj(attended.transpose(1, 2).reshape(b, n, self.dim))
        return x + self.mlp(self.norm2(x))

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        q, k, v = self._heads(x)
        return self._finish(x, F.scaled_dot_product_attention(q, k, v, attn_mask=bias))

    def step(self, x: Tensor, cache: list[Tensor], bias: Tensor) -> Tensor:
        """x (B, 1, D), the new position; `cache` [keys, values] (B, H, L, D/H) of the
        positions before it, extended in place; bias (B, H, 1, L + 1)."""
        q, k, v = self._heads(x)
        cache[0] = k if cache[0] is None else torch.cat([cache[0], k], 2)
        cache[1] = v if cache[1] is None else torch.cat([cache[1], v], 2)
        return self._finish(x, F.scaled_dot_product_attention(q, cache[0], cache[1], attn_mask=bias))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, heads={self.heads}"


def _path_lengths(adjacent: Tensor, source: Tensor) -> Tensor:
    """(..., N) bonds on the shortest path from atom `source` (...,) over `adjacent`
    (..., N, N) bool; MAX_PATH + 1 where farther or unconnected, or where source is -1."""
    n = adjacent.shape[-1]
    reached = F.one_hot(source.clamp(min=0), n).bool() & (source >= 0).unsqueeze(-1)
    length = torch.where(reached, 0, MAX_PATH + 1)
    frontier, steps = reached, adjacent.float()
    for step in range(1, MAX_PATH + 1):
        frontier = (steps @ frontier.float().unsqueeze(-1)).squeeze(-1).gt(0) & ~reached
        length = torch.where(frontier, step, length)
        reached = reached | frontier
    return length


def _pick(logits: Tensor, uniform: Tensor) -> tuple[Tensor, Tensor]:
    """Inverse-CDF choice from masked `logits` (..., C) with `uniform` (...): (index, log-prob).
    A masked category (-inf) has zero width and is never chosen."""
    log_probs = torch.log_softmax(logits, -1)
    cdf = log_probs.exp().cumsum(-1)
    index = (cdf < uniform.unsqueeze(-1) * cdf[..., -1:]).sum(-1).clamp(max=logits.shape[-1] - 1)
    return index, log_probs.gather(-1, index.unsqueeze(-1)).squeeze(-1)


class AutoregressiveGraphGenerator(nn.Module):
    r"""z (B, Z) [and a condition (B, C)] -> (bonds (B, N, N, E), atoms (B, N, T)), one-hot.

    Args:
        max_atoms, atom_types, bond_types: N, T and E ("no atom" / "no bond" included).
        valence_caps: each atom type's largest valence (index 0: "no atom").
        dim, layers, heads: the transformer's width, depth and attention heads.
        pair_dim: width of the per-(atom, earlier atom) features of the bond choices, the
            largest tensors (B, N, N, pair_dim) of a training step.
        condition_dim: normalised properties read at the start of every molecule.
    `latent_dim` = N (types) + N (parents) + N(N-1)/2 (other pairs): one normal per choice.
    """

    def __init__(self, max_atoms: int, atom_types: int, bond_types: int, valence_caps: Sequence[int],
                 dim: int = 128, layers: int = 4, heads: int = 4, condition_dim: int = 0, pair_dim: int = 64):
        super().__init__()
        self.max_atoms, self.atom_types, self.bond_types = max_atoms, atom_types, bond_types
        self.dim, self.condition_dim, self.pair_dim = dim, condition_dim, pair_dim
        # What the decoders ask of a generator (molgan/mol/decoding/decode.py): its graphs are
        # the argmax of `logits`, with no output layer.
        self.post = "st-argmax"
        n, e = max_atoms, bond_types
        self.latent_dim = 2 * n + n * (n - 1) // 2
        self.token = nn.Embedding(atom_types + 1, dim)  # index atom_types: the start token
        self.position = nn.Embedding(n + 1, dim)
        self.condition = nn.Linear(condition_dim, dim) if condition_dim else None
        self.bond_bias = nn.Embedding(e + 1, heads)  # index e: to or from the start token
        self.distance_bias = nn.Embedding(MAX_DISTANCE, heads)
        self.blocks = nn.ModuleList(CausalGraphBlock(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.type_head = nn.Linear(dim, atom_types)
        self.new_type = nn.Embedding(atom_types, dim)
        self.query, self.key = nn.Linear(dim, pair_dim), nn.Linear(dim, pair_dim)
        self.used = nn.Embedding(MAX_USED + 1, pair_dim)
        self.degree = nn.Embedding(MAX_DEGREE + 1, pair_dim)
        self.distance = nn.Embedding(MAX_DISTANCE, pair_dim)
        # Per earlier atom: E - 1 parent logits (a bond type); and, knowing the parent, E logits
        # for a bond or none, which also see the ring such a bond would close.
        self.parent_head = nn.Sequential(nn.GELU(), nn.Linear(pair_dim, e - 1))
        self.path = nn.Embedding(MAX_PATH + 2, pair_dim)
        self.other_head = nn.Sequential(nn.GELU(), nn.Linear(pair_dim, e))
        self.register_buffer("caps", torch.as_tensor(list(valence_caps), dtype=torch.long), persistent=False)
        self.register_buffer("cost", torch.tensor(BOND_MIN_VALENCE[:e]), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's own initialisations (unit-variance embeddings): GPT-style small ones
        # (std 0.02) left the bond and valence embeddings too faint at first and learnt
        # slower on MOSES (docs/experiments.md).
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    # ------------------------------------------------------------------ shared parts
    def _start(self, batch: int, cond: Tensor | None, device) -> Tensor:
        """(B, 1, D) the start token's input."""
        x = (self.token.weight[self.atom_types] + self.position.weight[0]).expand(batch, 1, -1)
        if self.condition is not None:
            if cond is None:
                cond = torch.zeros(batch, self.condition_dim, device=device)
            x = x + self.condition(cond.to(x.dtype)).unsqueeze(1)
        return x

    def _bias(self, codes: Tensor, distance: Tensor) -> Tensor:
        """Attention bias (B, H, Q, K) from bond codes (B, Q, K) and distances (Q, K)."""
        bias = self.bond_bias(codes) + self.distance_bias(distance.clamp(0, MAX_DISTANCE - 1))
        return bias.permute(0, 3, 1, 2)

    def _pair_logits(self, query: Tensor, new_type: Tensor, keys: Tensor, used: Tensor, degree: Tensor,
                     distance: Tensor, path: Tensor) -> tuple[Tensor, Tensor]:
        """query (B, K, D), new_type (B, K), keys (B, J, D) (`key` of the states after each atom);
        used/degree/distance (B, K, J); path (B, K, J) bonds from the parent (`_path_lengths`) ->
        parent logits (B, K, J, E - 1) and other-bond logits (B, K, J, E)."""
        h = self._pair_hidden(query, new_type, keys, used, degree, distance)
        return self.parent_head(h), self.other_head(h + self.path(path))

    def _pair_hidden(self, query: Tensor, new_type: Tensor, keys: Tensor, used: Tensor, degree: Tensor,
                     distance: Tensor) -> Tensor:
        q = self.query(query + self.new_type(new_type))
        return (q.unsqueeze(2) + keys.unsqueeze(1) + self.used(used.clamp(0, MAX_USED))
                + self.degree(degree.clamp(0, MAX_DEGREE)) + self.distance(distance.clamp(0, MAX_DISTANCE - 1)))

    # ------------------------------------------------------------------ teacher forcing
    def _decisions(self, bonds: Tensor, atoms: Tensor, cond: Tensor | None):
        """Masked logits of every choice that made the graphs (bonds (B, N, N), atoms (B, N)
        indices), in one pass: type (B, N, T), parent (B, N, N*(E-1)), other (B, N, N, E),
        and each atom's parent index (B, N) (-1: none)."""
        b, n = atoms.shape
        device = atoms.device
        x = torch.cat([self._start(b, cond, device), self.token(atoms) + self.position.weight[1:n + 1]], 1)
        codes = torch.full((b, n + 1, n + 1), self.bond_types, dtype=torch.long, device=device)
        codes[:, 1:, 1:] = bonds
        position = torch.arange(n + 1, device=device)
        distance = position[:, None] - position[None, :]
        bias = self._bias(codes, distance).masked_fill(distance < 0, float("-inf"))
        for block in self.blocks:
            x = block(x, bias)
        h = self.norm(x)  # h[:, k]: before atom k; h[:, j + 1]: after atom j

        index = torch.arange(n, device=device)
        earlier = index[None, :] < index[:, None]  # (k, j): j before k
        bond_cost = self.cost[bonds]  # (B, N, N) valence each bond takes
        cost = bond_cost * earlier  # (B, k, j): bonds of k to earlier atoms only
        # Valence and neighbours of j from atoms before k: sum over m < k of row j.
        used = F.pad(bond_cost.cumsum(2), (1, 0))[..., :n].transpose(1, 2)
        degree = F.pad((bonds > 0).long().cumsum(2), (1, 0))[..., :n].transpose(1, 2)
        room = self.caps[atoms].unsqueeze(1) - used  # (B, k, j)
        parent = torch.where((bonds > 0) & earlier, index, -1).amax(2)  # (B, k)

        type_logits = self.type_head(h[:, :n])
        any_room = ((room >= 1) & earlier & (atoms > 0).unsqueeze(1)).any(2)  # can atom k bond anything?
        allowed = torch.ones_like(type_logits, dtype=torch.bool)
        allowed[:, 0, 0] = False  # a molecule has an atom
        allowed[:, 1:, 1:] &= any_room[:, 1:, None]
        allowed |= F.one_hot(atoms, self.atom_types).bool()  # the data's own choice, always
        type_logits = type_logits.masked_fill(~allowed, float("-inf"))

        # Bonds from each atom's parent to the earlier atoms, among the atoms before it.
        before = earlier[:, :, None] & earlier[:, None, :]  # (k, i, j): i and j both before k
        path = _path_lengths((bonds > 0).unsqueeze(1) & before, parent)
        parent_logits, other_logits = self._pair_logits(h[:, :n], atoms, self.key(h[:, 1:]), used, degree,
                                                        distance[1:, 1:].expand(b, n, n), path)
        cap_new = self.caps[atoms].unsqueeze(2)  # (B, k, 1)
        fits = self.cost[1:] <= torch.minimum(room, cap_new).unsqueeze(-1)  # (B, k, j, E - 1)
        fits &= earlier.unsqueeze(-1)
        truth = F.one_hot(bonds, self.bond_types).bool()
        fits |= truth[..., 1:] & (index == parent.unsqueeze(-1)).unsqueeze(-1)
        # Rows with nothing to choose (the first atom, absent atoms) stay finite: never used.
        parent_logits = parent_logits.masked_fill(~fits & fits.flatten(2).any(2)[..., None, None], float("-inf"))
        parent_logits = parent_logits.flatten(2)
        # Other bonds, chosen from the parent down: the new atom's valence left at j is its cap
        # minus the bonds to atoms after j (the parent's included).
        above = cost.flip(2).cumsum(2).flip(2) - cost
        room_new = cap_new - above
        fits = self.cost <= torch.minimum(room, room_new).unsqueeze(-1)
        fits[..., 0] = True
        other_logits = other_logits.masked_fill(~(fits | truth), float("-inf"))
        return type_logits, parent_logits, other_logits, parent

    @staticmethod
    def _indices(bonds: Tensor, atoms: Tensor) -> tuple[Tensor, Tensor]:
        """Index tensors from one-hot (or soft) ones, or index tensors as they are."""
        if atoms.dim() == 3:
            atoms = atoms.argmax(-1)
        if bonds.dim() == 4:
            bonds = bonds.argmax(-1)
        return bonds.long(), atoms.long()

    def negative_log_likelihood(self, bonds: Tensor, atoms: Tensor, cond: Tensor | None = None) -> Tensor:
        """(B,) nats each graph costs the model: bonds (B, N, N[, E]), atoms (B, N[, T])."""
        bonds, atoms = self._indices(bonds, atoms)
        type_logits, parent_logits, other_logits, parent = self._decisions(bonds, atoms, cond)
        b, n = atoms.shape
        size = (atoms > 0).sum(1)
        index = torch.arange(n, device=atoms.device)
        # Types up to and including the stop (no stop after a full graph).
        type_nll = F.cross_entropy(type_logits.transpose(1, 2), atoms, reduction="none")
        nll = (type_nll * (index <= size.unsqueeze(1))).sum(1)
        has_parent = parent >= 0
        anchor = parent.clamp(min=0)
        target = anchor * (self.bond_types - 1) + bonds.gather(2, anchor.unsqueeze(2)).squeeze(2) - 1
        parent_nll = F.cross_entropy(parent_logits.transpose(1, 2), target.clamp(min=0), reduction="none")
        nll = nll + torch.where(has_parent, parent_nll, 0.0).sum(1)
        below = index < parent.unsqueeze(2)  # (B, k, j): other-bond choices
        other_nll = F.cross_entropy(other_logits.permute(0, 3, 1, 2), bonds, reduction="none")
        return nll + (other_nll * below).sum((1, 2))

    def choice_probabilities(self, bonds: Tensor, atoms: Tensor, cond: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The probability of each entry's value given the choices before it: (B, N, N, E) and
        (B, N, T), what the straight-through output differentiates. A pair above the parent
        takes the parent choice's marginal; entries after the stop are "none" for sure."""
        bonds, atoms = self._indices(bonds, atoms)
        type_logits, parent_logits, other_logits, parent = self._decisions(bonds, atoms, cond)
        b, n = atoms.shape
        index = torch.arange(n, device=atoms.device)
        size = (atoms > 0).sum(1, keepdim=True)
        none_atom = F.one_hot(torch.zeros_like(atoms), self.atom_types).to(type_logits.dtype)
        atom_probs = torch.where((index <= size).unsqueeze(-1), torch.softmax(type_logits, -1), none_atom)
        pointer = torch.softmax(parent_logits, -1).view(b, n, n, self.bond_types - 1)
        pointer = torch.cat([1 - pointer.sum(-1, keepdim=True), pointer], -1)
        pair = torch.where((index < parent.unsqueeze(2)).unsqueeze(-1), torch.softmax(other_logits, -1), pointer)
        earlier = (index[None, :] < index[:, None]) & (atoms > 0).unsqueeze(2) & (parent >= 0).unsqueeze(2)
        none_bond = F.one_hot(torch.zeros_like(bonds), self.bond_types).to(pair.dtype)
        lower = torch.where(earlier.unsqueeze(-1), pair, none_bond)
        strict = torch.tril(torch.ones(n, n, dtype=torch.bool, device=atoms.device), -1)
        bond_probs = torch.where(strict.unsqueeze(-1), lower, lower.transpose(1, 2))
        return bond_probs, atom_probs

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, z: Tensor, cond: Tensor | None = None,
               valence_masks: bool = True) -> tuple[Tensor, Tensor, Tensor]:
        """Graphs of z (B, latent_dim): bonds (B, N, N), atoms (B, N) indices, and each graph's
        log-probability (B,), one atom at a time with cached keys and values; every choice
        within the valence caps unless `valence_masks` is False."""
        b, n, e = z.shape[0], self.max_atoms, self.bond_types
        device = z.device
        uniform = (0.5 * (1 + torch.erf(z.float() / math.sqrt(2)))).clamp(1e-7, 1 - 1e-7)
        u_type, u_parent, u_other = uniform[:, :n], uniform[:, n:2 * n], uniform[:, 2 * n:]
        atoms = torch.zeros(b, n, dtype=torch.long, device=device)
        bonds = torch.zeros(b, n, n, dtype=torch.long, device=device)
        used = torch.zeros(b, n, dtype=torch.long, device=device)
        degree = torch.zeros(b, n, dtype=torch.long, device=device)
        log_prob = torch.zeros(b, device=device)
        alive = torch.ones(b, dtype=torch.bool, device=device)
        rows = torch.arange(b, device=device)
        caches = [[None, None] for _ in self.blocks]
        keys = []  # `key` of the final state after each atom
        x = self._start(b, cond, device)
        codes = torch.full((b, 1, 1), e, dtype=torch.long, device=device)
        h = self._run(x, caches, self._bias(codes, torch.zeros(1, 1, dtype=torch.long, device=device)))
        for k in range(n):
            logits = self.type_head(h)
            if k == 0:
                logits[:, 0] = float("-inf")
            elif valence_masks:
                room = self.caps[atoms[:, :k]] - used[:, :k]
                logits[:, 1:] = logits[:, 1:].masked_fill(~(room >= 1).any(1, keepdim=True), float("-inf"))
            kind, lp = _pick(logits, u_type[:, k])
            kind = torch.where(alive, kind, 0)
            log_prob += torch.where(alive, lp, 0.0)
            alive &= kind > 0
            atoms[:, k] = kind
            if k > 0 and alive.any():
                self._sample_bonds(k, h, keys, atoms, bonds, used, degree, alive, rows,
                                   u_parent[:, k], u_other, log_prob, valence_masks)
            if k == n - 1 or not alive.any():
                break
            keys_codes = torch.cat([torch.full((b, 1), e, dtype=torch.long, device=device), bonds[:, k, :k + 1]], 1)
            distance = (k + 1 - torch.arange(k + 2, device=device)).unsqueeze(0)
            x = (self.token(kind) + self.position.weight[k + 1]).unsqueeze(1)
            state = self._run(x, caches, self._bias(keys_codes.unsqueeze(1), distance))
            keys.append(self.key(state))
            h = state
        return bonds, atoms, log_prob

    def _run(self, x: Tensor, caches: list, bias: Tensor) -> Tensor:
        for block, cache in zip(self.blocks, caches):
            x = block.step(x, cache, bias)
        return self.norm(x)[:, 0]

    def _sample_bonds(self, k, h, keys, atoms, bonds, used, degree, alive, rows, u_parent, u_other, log_prob,
                      valence_masks=True):
        """Atom k's parent and other bonds, in place (module doc); `valence_masks` False:
        any bond type to any earlier atom."""
        e = self.bond_types
        key_states = torch.stack(keys, 1)  # (B, k, D)
        distance = (k - torch.arange(k, device=h.device)).expand(h.shape[0], 1, k)
        hidden = self._pair_hidden(h.unsqueeze(1), atoms[:, k:k + 1], key_states, used[:, None, :k],
                                   degree[:, None, :k], distance)[:, 0]  # (B, k, D)
        cap_new = self.caps[atoms[:, k]]
        room = self.caps[atoms[:, :k]] - used[:, :k]
        fits = self.cost[1:] <= torch.minimum(room, cap_new[:, None]).unsqueeze(-1)
        fits |= not valence_masks
        choice, lp = _pick(self.parent_head(hidden).masked_fill(~fits, float("-inf")).flatten(1), u_parent)
        parent, kind = choice // (e - 1), choice % (e - 1) + 1
        path = _path_lengths(bonds[:, :k, :k] > 0, parent)  # before atom k's own bonds
        other_logits = self.other_head(hidden + self.path(path))  # (B, k, E)
        log_prob += torch.where(alive, lp, 0.0)
        kind = torch.where(alive, kind, 0)
        self._bond(k, parent, kind, bonds, used, degree, rows)
        left = cap_new - self.cost[kind]
        for j in range(k - 2, -1, -1):
            chosen = alive & (j < parent)
            if not chosen.any():
                continue
            room_j = self.caps[atoms[:, j]] - used[:, j]
            fits = self.cost <= torch.minimum(room_j, left).unsqueeze(-1)
            fits |= not valence_masks
            fits[:, 0] = True
            kind, lp = _pick(other_logits[:, j].masked_fill(~fits, float("-inf")), u_other[:, k * (k - 1) // 2 + j])
            log_prob += torch.where(chosen, lp, 0.0)
            kind = torch.where(chosen, kind, 0)
            self._bond(k, torch.full_like(kind, j), kind, bonds, used, degree, rows)
            left = left - self.cost[kind]

    def _bond(self, k: int, j: Tensor, kind: Tensor, bonds, used, degree, rows) -> None:
        made = kind > 0
        r, j, kind = rows[made], j[made], kind[made]
        bonds[r, k, j] = kind
        bonds[r, j, k] = kind
        used[r, j] += self.cost[kind]
        used[r, k] += self.cost[kind]
        degree[r, j] += 1
        degree[r, k] += 1

    # ------------------------------------------------------------------ generator interface
    def graphs_of(self, z: Tensor, cond: Tensor | None = None, valence_masks: bool = True) -> tuple[Tensor, Tensor]:
        bonds, atoms, _ = self.sample(z, cond, valence_masks)
        return bonds, atoms

    def logits(self, z: Tensor, cond: Tensor | None = None, valence_masks: bool = True) -> tuple[Tensor, Tensor]:
        """Logits whose argmax is the sampled graph, for the decoders: (B, N, N, E), (B, N, T)."""
        bonds, atoms = self.graphs_of(z, cond, valence_masks)
        return ((F.one_hot(bonds, self.bond_types).float() - 1) * _HARD,
                (F.one_hot(atoms, self.atom_types).float() - 1) * _HARD)

    def graphs(self, bond_logits: Tensor, atom_logits: Tensor) -> tuple[Tensor, Tensor]:
        """The graphs `logits` stands for: (B, N, N) and (B, N) indices."""
        return bond_logits.argmax(-1), atom_logits.argmax(-1)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> tuple[Tensor, Tensor]:
        bonds, atoms = self.graphs_of(z, cond)
        hard_bonds = F.one_hot(bonds, self.bond_types).float()
        hard_atoms = F.one_hot(atoms, self.atom_types).float()
        if not torch.is_grad_enabled():
            return hard_bonds, hard_atoms
        bond_probs, atom_probs = self.choice_probabilities(bonds, atoms, cond)
        return hard_bonds - bond_probs.detach() + bond_probs, hard_atoms - atom_probs.detach() + atom_probs

    def extra_repr(self) -> str:
        return (f"max_atoms={self.max_atoms}, atom_types={self.atom_types}, bond_types={self.bond_types}, "
                f"dim={self.dim}, pair_dim={self.pair_dim}, latent_dim={self.latent_dim}"
                + (f", condition_dim={self.condition_dim}" if self.condition_dim else ""))
