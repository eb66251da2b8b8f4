import pytest
import torch

from molgan.core.losses import LOSSES, gradient_penalty, mixed_loss_terms, sum_in_order


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_pairs_reward_telling_real_from_fake(name):
    d_loss, g_loss = LOSSES[name]
    high, low = (1.0, 0.0) if name == "lsgan" else (3.0, -3.0)  # LSGAN's targets are 1 and 0
    confident = d_loss(torch.full((8,), high), torch.full((8,), low))
    confused = d_loss(torch.zeros(8), torch.zeros(8))
    assert confident < confused
    # the generator's loss falls as its samples score higher
    assert g_loss(torch.full((8,), 2.0)) < g_loss(torch.full((8,), -2.0))


def test_one_sided_label_smoothing_moves_only_the_real_target():
    import torch.nn.functional as F

    d_loss = LOSSES["bce"].d
    real, fake = torch.full((4,), 5.0), torch.full((4,), -5.0)
    difference = d_loss(real, fake, label_smoothing=0.1) - d_loss(real, fake)
    expected = (F.binary_cross_entropy_with_logits(real, torch.full((4,), 0.9))
                - F.binary_cross_entropy_with_logits(real, torch.ones(4)))
    assert difference > 0 and torch.isclose(difference, expected)


def test_gradient_penalty_of_a_linear_critic_is_exact_over_several_inputs():
    w1, w2 = torch.tensor([3.0, 0.0]), torch.tensor([[0.0, 4.0], [0.0, 0.0]])
    critic = lambda a, b: a @ w1 + (b * w2).sum((1, 2))  # noqa: E731
    real = (torch.randn(6, 2), torch.randn(6, 2, 2))
    fake = (torch.randn(6, 2), torch.randn(6, 2, 2))
    penalty = gradient_penalty(critic, real, fake)
    assert torch.isclose(penalty, torch.tensor((5.0 - 1.0) ** 2))  # ||(3, 4)|| = 5


def test_gradient_penalty_is_finite_when_the_gradient_vanishes():
    weight = torch.zeros(3, requires_grad=True)
    critic = lambda x: (x * weight).sum(1) * 0.0  # noqa: E731
    penalty = gradient_penalty(critic, (torch.randn(4, 3),), (torch.randn(4, 3),))
    penalty.backward()
    assert torch.isfinite(penalty) and torch.isfinite(weight.grad).all()
    assert torch.isclose(penalty, torch.tensor(1.0))


def test_gradient_penalty_with_loss_scaling_equals_unscaled():
    critic = torch.nn.Linear(5, 1)
    real, fake = (torch.randn(4, 5),), (torch.randn(4, 5),)
    torch.manual_seed(0)
    plain = gradient_penalty(lambda x: critic(x).squeeze(1), real, fake)
    torch.manual_seed(0)
    scaled = gradient_penalty(lambda x: critic(x).squeeze(1), real, fake, grad_scale=1024.0)
    assert torch.allclose(plain, scaled)


@pytest.mark.parametrize("functional", [False, True])
def test_gradient_penalty_equals_the_double_backward_formulation(functional):
    # Reference: the textbook autograd.grad(create_graph=True) penalty, on a non-linear
    # critic with two inputs; values and the critic's parameter gradients must agree.
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    critic = lambda a, b: net(torch.cat([a, b.flatten(1)], 1)).squeeze(1)  # noqa: E731
    real, fake = (torch.randn(5, 3), torch.randn(5, 2, 2)), (torch.randn(5, 3), torch.randn(5, 2, 2))
    alpha = torch.rand(5)
    penalty = gradient_penalty(critic, real, fake, alpha=alpha, functional=functional)
    weights = [p for name, p in net.named_parameters() if name != "2.bias"]  # the last bias has no say
    ours = torch.autograd.grad(penalty, weights)
    mixed = [(alpha.view(-1, *[1] * (r.dim() - 1)) * r + (1 - alpha.view(-1, *[1] * (r.dim() - 1))) * f)
             .requires_grad_() for r, f in zip(real, fake)]
    grads = torch.autograd.grad(critic(*mixed).sum(), mixed, create_graph=True)
    norm = torch.sqrt(sum(g.pow(2).flatten(1).sum(1) for g in grads) + 1e-12)
    reference = (norm - 1).pow(2).mean()
    expected = torch.autograd.grad(reference, weights)
    assert torch.allclose(penalty, reference, rtol=1e-6)
    for a, b in zip(ours, expected):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)


def test_mixed_terms_weight_and_normalise_without_gradient_through_alpha():
    adv = torch.tensor(2.0, requires_grad=True)
    extra = torch.tensor(-0.5, requires_grad=True)
    assert mixed_loss_terms(adv, {}, 0.5) == {"adversarial": adv}
    total = sum_in_order(mixed_loss_terms(adv, {"reward": extra}, 0.25).values())
    assert torch.isclose(total, torch.tensor(0.25 * 2.0 + 0.75 * (2.0 / 0.5) * -0.5))
    total.backward()
    assert torch.isclose(adv.grad, torch.tensor(0.25))  # alpha is a constant
    assert torch.isclose(extra.grad, torch.tensor(0.75 * 4.0))
    only_extra = sum_in_order(mixed_loss_terms(adv, {"reward": extra}, 0.0, normalize=False).values())
    assert torch.isclose(only_extra, extra)
