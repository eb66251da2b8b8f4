"""Generator output -> molecules.

raw:    the graph the generator's output layer gives, which its critic was trained on: the
        argmax for `post="st-argmax"`; for `post="st-valence"` the valence-aware layer's
        graph (the same as connected), a correction of the network's choices. This is what
        "raw validity" measures.
argmax: argmax atom type and argmax bond type per pair, decoded with no correction.
capped: the argmax atoms; then each pair's most likely *real* bond, if the model prefers
        it to "no bond", is added in order of confidence as long as neither atom exceeds
        its maximum valence; finally the largest fragment is kept.
connected: capped, then while there are several fragments, the single bond between two
        fragments' atoms with free valence that the model rates most likely is added
        (keeps every generated atom; a fragment that cannot be joined is dropped).
capped and connected are molgan/mol/nn/valence.py's layer, applied after training.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from rdkit import Chem
from torch import Tensor

from molgan.mol.chem.graph import MolGraph, canonical_smiles, dense_to_graph, graph_to_mol
from molgan.mol.chem.vocab import AtomVocab
from molgan.mol.nn.valence import KEKULE_DONOR, KEKULE_DOUBLE, KEKULE_LONE_PAIR, KEKULE_OTHER, valence_decode

_TABLE = Chem.GetPeriodicTable()


@dataclass(frozen=True)
class Decoded:
    smiles: str | None  # canonical, None if invalid
    reason: str  # "" if valid
    num_atoms: int


def max_valences(vocab: AtomVocab) -> np.ndarray:
    """Largest allowed valence per atom-type index (index 0 = no atom -> 0).

    A charged atom bonds like its isoelectronic neutral neighbour: N+ like C (4),
    O- like F (1), C- like N (3).
    """
    caps = [0]
    for atom_type in vocab.types:
        valences = _TABLE.GetValenceList(max(1, atom_type.atomic_number - atom_type.charge))
        caps.append(max(valences) if valences[0] >= 0 else 4)  # -1: any valence (metals)
    return np.array(caps, dtype=np.int64)


def kekule_roles(vocab: AtomVocab) -> np.ndarray:
    """Each atom-type index's role in aromatic systems for the output layer
    (molgan/mol/nn/valence.py): C and N+ need a double bond, a neutral N may carry a hydrogen
    instead, a neutral O or S (furan, thiophene) gives its lone pair and takes none; index 0
    and the others take one only if they have valence left."""
    roles = [KEKULE_OTHER]
    for atom_type in vocab.types:
        if atom_type.atomic_number - atom_type.charge == 6:
            roles.append(KEKULE_DOUBLE)
        elif atom_type.symbol == "N" and atom_type.charge == 0:
            roles.append(KEKULE_LONE_PAIR)
        elif atom_type.symbol in ("O", "S", "Se", "Te") and atom_type.charge == 0:
            roles.append(KEKULE_DONOR)
        else:
            roles.append(KEKULE_OTHER)
    return np.array(roles, dtype=np.int64)


#: The decodings, from the output layer's graphs to the most repaired.
DECODINGS = ("raw", "argmax", "capped", "connected")
#: What `molgan sample --decode` takes: the decodings, and "uncorrected": every correction
#: off (molgan/mol/sampling.py), the MLP generator's argmax, the autoregressive one sampled
#: without its valence masks.
SAMPLE_DECODINGS = DECODINGS + ("uncorrected",)


def own_decoding(post: str) -> str:
    """What "raw" means for a generator: its output layer's graph (the valence-aware layer's,
    which is the connected decoding, or the argmax)."""
    return "connected" if post == "st-valence" else "argmax"


def same_as_raw(mode: str, post: str) -> bool:
    """Whether decoding with `mode` gives the generator's raw graphs (the default generator's
    connected decoding): then one decoding serves both."""
    return (own_decoding(post) if mode == "raw" else mode) == own_decoding(post)


@torch.no_grad()
def decode_graphs(bond_logits: Tensor, atom_logits: Tensor, vocab: AtomVocab,
                  mode: str = "capped", post: str = "st-argmax") -> list[MolGraph]:
    """Generator logits (B, N, N, E), (B, N, T) -> graphs, before any RDKit check.
    `post` is the generator's output layer, which says what "raw" decodes."""
    if mode == "raw":
        mode = own_decoding(post)
    atom_index = atom_logits.argmax(-1)
    if mode == "argmax":
        bond_index = bond_logits.argmax(-1)
    elif mode in ("capped", "connected"):
        bond_probs = torch.softmax(bond_logits.float(), -1)
        caps = torch.as_tensor(max_valences(vocab))
        bond_index, atom_index = valence_decode(bond_probs, atom_index, caps, connect=mode == "connected",
                                                roles=torch.as_tensor(kekule_roles(vocab)))
    else:
        raise ValueError(f"decode mode must be one of {', '.join(DECODINGS)}, got {mode!r}")
    return [dense_to_graph(a, b, vocab) for a, b in zip(atom_index.cpu().numpy(), bond_index.cpu().numpy())]


def decode_logits(bond_logits: Tensor, atom_logits: Tensor, vocab: AtomVocab,
                  mode: str = "capped", post: str = "st-argmax") -> list[Decoded]:
    """Decode a batch of generator logits (B, N, N, E), (B, N, T) to molecules."""
    out = []
    for graph in decode_graphs(bond_logits, atom_logits, vocab, mode, post):
        mol, reason = graph_to_mol(graph)
        out.append(Decoded(canonical_smiles(mol) if mol is not None else None, reason, len(graph.atoms)))
    return out
