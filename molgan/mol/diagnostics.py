"""What a molecule run needs to show about itself, logged with every evaluation.

Where the generator's choices stand (atoms and bonds per molecule, how close its bond
choices are to flipping) and what the critic sees (its scores on training, held-out and
generated molecules; how well it separates real from generated and valid from invalid
generated graphs). A critic that scores training molecules far above held-out ones is
overfitting; bond choices within a hair of flipping make argmax graphs a coin toss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.mol.chem.vocab import BOND_NAMES

#: A bond choice whose top two logits are closer than this is "near a flip".
NEAR_FLIP = 0.2


@torch.no_grad()
def graph_statistics(bond_logits: Tensor, atom_logits: Tensor) -> dict[str, float]:
    """Per-molecule means of the argmax graphs of (B, N, N, E) bond and (B, N, T) atom
    logits, and the margins of their bond choices between present atoms.

    `atoms_per_mol`, `isolated_atoms_per_mol` (present, no bond), `{bond}_per_mol` for
    each bond type, `bond_margin_median` (top-1 minus top-2 logit over the pairs of
    present atoms), `near_flip` (the fraction of those pairs with a margin below 0.2).
    """
    atoms = atom_logits.argmax(-1)  # (B, N)
    present = atoms > 0
    n = atoms.shape[1]
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool, device=atoms.device), diagonal=1)
    pairs = present[:, :, None] & present[:, None, :] & upper  # (B, N, N), each pair once
    bonds = bond_logits.argmax(-1)
    bonded = (bonds > 0) & pairs
    degree = (bonded | bonded.transpose(1, 2)).sum(-1)
    stats = {"atoms_per_mol": present.sum(1).float().mean().item(),
             "isolated_atoms_per_mol": ((degree == 0) & present).sum(1).float().mean().item()}
    for k, name in enumerate(BOND_NAMES[: bond_logits.shape[-1]]):
        if k:
            stats[f"{name}_per_mol"] = ((bonds == k) & pairs).sum((1, 2)).float().mean().item()
    top = bond_logits.topk(2, dim=-1).values
    margins = (top[..., 0] - top[..., 1])[pairs]
    stats["bond_margin_median"] = margins.median().item() if margins.numel() else float("nan")
    stats["near_flip"] = (margins < NEAR_FLIP).float().mean().item() if margins.numel() else float("nan")
    return stats


def auc(positive: Tensor, negative: Tensor) -> float:
    """P(a random positive scores above a random negative), ties counting half (the area
    under the ROC curve); NaN when either side is empty."""
    if positive.numel() == 0 or negative.numel() == 0:
        return float("nan")
    above = (positive[:, None] > negative[None, :]).float()
    ties = (positive[:, None] == negative[None, :]).float()
    return (above + 0.5 * ties).mean().item()


@torch.no_grad()
def critic_scores(critic: nn.Module, bonds: Tensor, atoms: Tensor, batch_size: int) -> Tensor:
    """Scores of (M, N, N) bond and (M, N) atom index graphs, in batches of the training
    batch size (the critic's mini-batch features depend on the batch)."""
    was_training = critic.training
    critic.eval()
    device = next(critic.parameters()).device
    n_bonds, n_atoms = critic.bond_types, critic.atom_types
    scores = []
    for start in range(0, bonds.shape[0], batch_size):
        b = F.one_hot(bonds[start:start + batch_size].long(), n_bonds).float().to(device)
        a = F.one_hot(atoms[start:start + batch_size].long(), n_atoms).float().to(device)
        scores.append(critic(b, a).float().cpu())
    critic.train(was_training)
    return torch.cat(scores) if scores else torch.zeros(0)


def critic_statistics(critic: nn.Module, train: tuple[Tensor, Tensor], held_out: tuple[Tensor, Tensor] | None,
                      fake: tuple[Tensor, Tensor], fake_valid: list[bool], batch_size: int) -> dict[str, float]:
    """The critic on (bonds, atoms) index graphs: mean scores of training, held-out and
    generated molecules, the train-minus-held-out gap, and AUCs of held-out (or training)
    real vs generated and of valid vs invalid generated graphs."""
    real = critic_scores(critic, *train, batch_size)
    generated = critic_scores(critic, *fake, batch_size)
    valid = torch.tensor(fake_valid, dtype=torch.bool)
    stats = {"critic_train": real.mean().item(), "critic_fake": generated.mean().item(),
             "critic_auc_valid_vs_invalid_fake": auc(generated[valid], generated[~valid])}
    reference = real
    if held_out is not None and held_out[0].shape[0] >= 2:
        reference = critic_scores(critic, *held_out, batch_size)
        stats["critic_held_out"] = reference.mean().item()
        stats["critic_overfit_gap"] = stats["critic_train"] - stats["critic_held_out"]
    stats["critic_auc_real_vs_fake"] = auc(reference, generated)
    return stats
