"""The networks a molecule run's `[model]` settings describe."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from torch import nn

from molgan.mol.chem.vocab import BOND_NAMES
from molgan.mol.nn.autoregressive import AutoregressiveGraphGenerator
from molgan.mol.nn.models import GraphCritic, MolGenerator

if TYPE_CHECKING:
    from molgan.mol.config import MolModelConfig


def build_models(config: MolModelConfig, max_atoms: int, atom_types: int,
                 valence_caps: Sequence[float] | None = None,
                 bond_types: int = len(BOND_NAMES),
                 kekule_roles: Sequence[int] | None = None,
                 condition_dim: int | None = None, critic: bool = True) -> tuple[nn.Module, GraphCritic | None]:
    """The generator and the critic of `config`; `valence_caps` (each atom type's maximum
    valence, "no atom" first) is needed by `post="st-valence"` and the autoregressive
    generator; `kekule_roles` (molgan/mol/decoding/decode.py) lets the output layer check
    aromatic bonds. Both networks read `condition_dim` normalised properties (default
    `len(config.condition)`; a reward-conditioned run's is 1). `critic=False`: no critic
    (None), for a run without adversarial steps, or for sampling."""
    if condition_dim is None:
        condition_dim = len(config.condition)
    if config.generator == "autoregressive":
        if valence_caps is None:
            raise ValueError("the autoregressive generator needs the atom types' valence caps")
        generator: MolGenerator | AutoregressiveGraphGenerator = AutoregressiveGraphGenerator(
            max_atoms, atom_types, bond_types, [int(c) for c in valence_caps], config.transformer_dim,
            config.transformer_layers, config.transformer_heads, condition_dim, config.pair_dim)
    else:
        generator = MolGenerator(config.latent_dim, max_atoms, atom_types, bond_types, config.generator_dims,
                                 config.dropout, config.post, config.temperature, valence_caps, kekule_roles,
                                 condition_dim)
    if not critic:
        return generator, None
    critic = GraphCritic(atom_types, bond_types, config.conv_dims, config.readout_dim, config.head_dims,
                         config.dropout, config.valence_feature, config.minibatch_std, pack=config.pack,
                         minibatch_discrimination=config.minibatch_discrimination,
                         ring_feature=config.ring_feature, condition_dim=condition_dim)
    return generator, critic
