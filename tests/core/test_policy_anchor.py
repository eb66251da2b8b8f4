"""The policy's anchor: a frozen copy of the generator at the first policy step, and each
sample's log p(x) - log p_anchor(x)."""
import torch
from torch import nn

from molgan.core.policy import PolicyAnchor


class Categorical(nn.Module):
    """A generator over 4 outcomes whose log-probabilities are a softmax of its logits."""

    def __init__(self):
        super().__init__()
        self.logits = nn.Parameter(torch.tensor([0.0, 1.0, 2.0, 3.0]))

    def negative_log_likelihood(self, outcomes, cond=None):
        return -torch.log_softmax(self.logits, 0)[outcomes]


def test_divergence_from_the_anchor_by_hand():
    generator = Categorical()
    anchor = PolicyAnchor(weight=0.1)
    anchor.start(generator)
    outcomes = torch.tensor([0, 3, 3])
    log_prob = -generator.negative_log_likelihood(outcomes)
    assert torch.allclose(anchor.divergence((outcomes,), None, log_prob), torch.zeros(3))
    with torch.no_grad():
        generator.logits.copy_(torch.tensor([3.0, 2.0, 1.0, 0.0]))  # the policy moved; the anchor did not
    log_prob = -generator.negative_log_likelihood(outcomes)
    start = torch.log_softmax(torch.tensor([0.0, 1.0, 2.0, 3.0]), 0)[outcomes]
    assert torch.allclose(anchor.divergence((outcomes,), None, log_prob), log_prob.detach() - start)
    assert not any(p.requires_grad for p in anchor.module.parameters())


def test_the_anchor_survives_a_checkpoint():
    generator = Categorical()
    anchor = PolicyAnchor(weight=0.1)
    assert anchor.state_dict() is None
    anchor.start(generator)
    with torch.no_grad():
        generator.logits.add_(1.0)
    restored = PolicyAnchor(weight=0.1)
    restored.load_state_dict(anchor.state_dict(), generator)
    assert torch.equal(restored.module.logits, torch.tensor([0.0, 1.0, 2.0, 3.0]))
