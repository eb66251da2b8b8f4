import pytest
import torch

from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.decoding.calibration import (
    bond_type_indices,
    bonds_per_graph,
    calibrate_bond_bias,
    data_bond_counts,
    fraction_with_bond,
    generator_bond_bias,
)
from molgan.mol.decoding.decode import decode_graphs
from molgan.mol.nn.models import MolGenerator

VOCAB = AtomVocab.from_strings(["C", "N", "O"])
B, N = 200, 3


def _carbon_pairs(margin: torch.Tensor):
    """B three-carbon graphs; only pair (0, 1) is bonded: single by logit 1, triple by 1 - margin."""
    atoms = torch.full((B, N, len(VOCAB)), -5.0)
    atoms[..., 1] = 5.0  # carbon everywhere
    bonds = torch.zeros(B, N, N, 4)
    bonds[..., 0] = 3.0  # "no bond" everywhere ...
    for i, j in ((0, 1), (1, 0)):  # ... but between atoms 0 and 1
        bonds[:, i, j, 0] = -5.0
        bonds[:, i, j, 1] = 1.0
        bonds[:, i, j, 3] = 1.0 - margin
    return bonds, atoms


@pytest.mark.parametrize("statistic, measure", [("count", bonds_per_graph), ("presence", fraction_with_bond)])
def test_calibration_finds_the_offset_that_matches_the_target(statistic, measure):
    margin = torch.linspace(0.01, 1.0, B)  # graph k needs an offset above margin[k] to be triple
    bonds, atoms = _carbon_pairs(margin)
    assert measure(decode_graphs(bonds, atoms, VOCAB, "capped"), 3) == 0.0
    bias = calibrate_bond_bias(bonds, atoms, VOCAB, "capped", {3: 0.3}, statistic=statistic)
    assert bias[:3].abs().sum() == 0 and 0.25 < bias[3] < 0.35  # the 30 % quantile of the margins
    assert abs(measure(decode_graphs(bonds + bias, atoms, VOCAB, "capped"), 3) - 0.3) <= 0.01


def test_count_and_presence_differ_when_molecules_have_several_bonds_of_a_type():
    atoms = torch.full((1, 4, len(VOCAB)), -5.0)
    atoms[..., 1] = 5.0
    bonds = torch.zeros(1, 4, 4, 4)
    bonds[..., 0] = 3.0
    for (i, j), kind in (((0, 1), 3), ((1, 2), 1), ((2, 3), 3)):  # C#C-C#C
        bonds[0, i, j, 0] = bonds[0, j, i, 0] = -5.0
        bonds[0, i, j, kind] = bonds[0, j, i, kind] = 2.0
    graphs = decode_graphs(bonds, atoms, VOCAB, "capped")
    assert fraction_with_bond(graphs, 3) == 1.0 and bonds_per_graph(graphs, 3) == 2.0


def test_calibration_is_off_without_targets_and_for_raw_decoding():
    bonds, atoms = _carbon_pairs(torch.full((B,), 0.5))
    assert calibrate_bond_bias(bonds, atoms, VOCAB, "capped", {}).abs().sum() == 0
    generator = MolGenerator(8, N, len(VOCAB), 4, hidden=(16,))
    zeros = generator_bond_bias(generator, VOCAB, "raw", {3: 0.5}, 1.0, torch.device("cpu"))
    assert zeros.abs().sum() == 0
    first = generator_bond_bias(generator, VOCAB, "capped", {3: 0.5}, 1.0, torch.device("cpu"))
    torch.manual_seed(123)  # the global seed does not matter: fixed calibration latents
    assert torch.equal(first, generator_bond_bias(generator, VOCAB, "capped", {3: 0.5}, 1.0, torch.device("cpu")))


def test_data_counts_are_bonds_per_graph_between_present_atoms():
    bond_index = torch.zeros(4, N, N, dtype=torch.long)
    atom_index = torch.ones(4, N, dtype=torch.long)
    bond_index[0, 0, 1] = bond_index[0, 1, 0] = 3
    bond_index[0, 1, 2] = bond_index[0, 2, 1] = 3  # two triple bonds, one graph
    bond_index[1, 0, 1] = bond_index[1, 1, 0] = 2
    bond_index[2, 0, 2] = bond_index[2, 2, 0] = 3
    atom_index[2, 2] = 0  # ... to an absent atom: does not count
    assert data_bond_counts(bond_index, atom_index, (2, 3)) == {2: 0.25, 3: 0.5}


def test_unknown_bond_names_are_refused():
    assert bond_type_indices(("double", "triple")) == (2, 3)
    with pytest.raises(ValueError, match="quadruple"):
        bond_type_indices(("quadruple",))
    with pytest.raises(ValueError, match="none"):
        bond_type_indices(("none",))


def test_checkpoints_from_before_counts_keep_their_presence_calibration():
    from pathlib import Path

    from molgan.mol.config import MolRunConfig
    from molgan.mol.sampling import LoadedGenerator, delivered_bias

    torch.manual_seed(0)
    generator = MolGenerator(8, 6, len(VOCAB), 4, hidden=(16,))  # room for several triple bonds
    cpu = torch.device("cpu")

    def bias(task: dict) -> torch.Tensor:
        return delivered_bias(LoadedGenerator(generator, VOCAB, MolRunConfig(), {"task": task}, Path("x.pt")),
                              "capped", 1.0)

    assert torch.equal(bias({"bond_counts": {"triple": 0.5}}),
                       generator_bond_bias(generator, VOCAB, "capped", {3: 0.5}, 1.0, cpu, statistic="count"))
    assert torch.equal(bias({"bond_fractions": {"triple": 0.5}}),  # older checkpoints
                       generator_bond_bias(generator, VOCAB, "capped", {3: 0.5}, 1.0, cpu, statistic="presence"))
    assert not torch.equal(bias({"bond_counts": {"triple": 0.5}}), bias({"bond_fractions": {"triple": 0.5}}))
    assert bias({}).abs().sum() == 0  # from before calibration
