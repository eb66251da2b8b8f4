"""The run diagnostics on hand-made graphs and scores."""
import math

import torch

from molgan.mol.diagnostics import auc, critic_statistics, graph_statistics


def _logits(atoms: list[list[int]], bonds: dict, n: int = 4, t: int = 3, e: int = 4, margin: dict | None = None):
    """Logits whose argmax is the given graphs: atoms per molecule; bonds {(mol, i, j): type};
    every pair's top-1 logit 1.0 above the next, or `margin[(mol, i, j)]`."""
    atom_logits = torch.zeros(len(atoms), n, t)
    for m, row in enumerate(atoms):
        atom_logits[m, torch.arange(n), torch.tensor(row)] = 1.0
    bond_logits = torch.zeros(len(atoms), n, n, e)
    bond_logits[..., 0] = 1.0  # "no bond" by default, margin 1
    for (m, i, j), k in bonds.items():
        gap = (margin or {}).get((m, i, j), 1.0)
        for a, b in ((i, j), (j, i)):
            bond_logits[m, a, b] = 0.0
            bond_logits[m, a, b, k] = gap
    return bond_logits, atom_logits


def test_graph_statistics_count_atoms_bonds_isolated_atoms_and_margins():
    # molecule 0: atoms 0-1-2 in a chain (single, double) and atom 3 absent;
    # molecule 1: atoms 0 and 1 present, no bond: both isolated.
    bonds, atoms = _logits([[1, 1, 2, 0], [1, 2, 0, 0]], {(0, 0, 1): 1, (0, 1, 2): 2}, margin={(0, 1, 2): 0.1})
    stats = graph_statistics(bonds, atoms)
    assert stats["atoms_per_mol"] == 2.5  # (3 + 2) / 2
    assert stats["isolated_atoms_per_mol"] == 1.0  # (0 + 2) / 2
    assert (stats["single_per_mol"], stats["double_per_mol"], stats["triple_per_mol"]) == (0.5, 0.5, 0.0)
    # present pairs: molecule 0 has 3 (margins 1, 0.1, 1), molecule 1 has 1 (margin 1)
    assert stats["near_flip"] == 0.25 and stats["bond_margin_median"] == 1.0


def test_auc_is_the_probability_of_ranking_a_positive_first():
    assert auc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 1.0
    assert auc(torch.tensor([0.0]), torch.tensor([1.0])) == 0.0
    assert auc(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0])) == 0.875  # (1 + 0.5 + 1 + 1) / 4
    assert math.isnan(auc(torch.tensor([1.0]), torch.tensor([])))


class _SumOfCarbons(torch.nn.Module):
    """A 'critic' that scores a graph by its number of atoms of type 1."""

    atom_types, bond_types = 3, 4

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, bonds, atoms, cond=None):
        return atoms[..., 1].sum(-1)


def test_critic_statistics_on_a_critic_that_counts_atoms():
    def graphs(counts):  # molecules with that many type-1 atoms, no bonds
        atoms = torch.zeros(len(counts), 4, dtype=torch.long)
        for m, c in enumerate(counts):
            atoms[m, :c] = 1
        return torch.zeros(len(counts), 4, 4, dtype=torch.long), atoms

    stats = critic_statistics(_SumOfCarbons(), graphs([3, 3]), graphs([2, 2]), graphs([1, 2, 3, 0]),
                              [True, True, False, False], batch_size=3)
    assert (stats["critic_train"], stats["critic_held_out"], stats["critic_fake"]) == (3.0, 2.0, 1.5)
    assert stats["critic_overfit_gap"] == 1.0
    assert stats["critic_auc_valid_vs_invalid_fake"] == 0.5  # valid {1, 2} vs invalid {3, 0}
    # each held-out 2 vs the fakes 1, 2, 3, 0: above, tie, below, above = 2.5 of 4
    assert stats["critic_auc_real_vs_fake"] == 2 * 2.5 / 8
