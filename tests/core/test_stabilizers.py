import torch

from molgan.core.stabilizers import MinibatchDiscrimination, MinibatchStd, feature_matching_loss, make_ema


def test_minibatch_std_sees_a_collapsed_batch():
    layer = MinibatchStd(group_size=4)
    same = torch.ones(8, 5)
    varied = torch.randn(8, 5)
    assert layer(same).shape == (8, 6) and layer(varied).shape == (8, 6)
    assert layer(same)[:, -1].max() < 1e-3 < layer(varied)[:, -1].min()
    assert layer(torch.randn(6, 3, 4, 4)).shape == (6, 4, 4, 4)  # images, batch not divisible by 4


def test_minibatch_discrimination_shape_and_closeness():
    layer = MinibatchDiscrimination(5, num_kernels=3, kernel_dim=2)
    out = layer(torch.zeros(4, 5))
    assert out.shape == (4, 8)
    assert torch.allclose(out[:, 5:], torch.full((4, 3), 3.0))  # identical: closeness B - 1
    assert "num_kernels=3" in repr(layer)


def test_feature_matching_loss_is_zero_for_equal_means_and_reaches_fake_only():
    real = torch.randn(16, 4)
    fake = real.clone().requires_grad_(True)
    assert feature_matching_loss(real, fake) < 1e-10
    loss = feature_matching_loss(real + 1, fake)
    loss.backward()
    assert torch.isclose(loss, torch.tensor(4.0)) and fake.grad is not None


def test_ema_tracks_the_model_with_its_decay():
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.constant_(model.weight, 0.0)
    ema = make_ema(model, decay=0.9, warmup=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update_parameters(model)
    # the first update copies the weights (n_averaged == 0) ...
    assert torch.isclose(ema.module.weight, torch.tensor(1.0))
    with torch.no_grad():
        model.weight.fill_(2.0)
    ema.update_parameters(model)
    # ... later ones move 10 % of the way
    assert torch.isclose(ema.module.weight, torch.tensor(1.1))


def test_ema_warmup_forgets_the_initial_weights_quickly():
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.constant_(model.weight, 0.0)
    ema = make_ema(model, decay=0.999)
    with torch.no_grad():
        model.weight.fill_(1.0)
    for _ in range(200):
        ema.update_parameters(model)
    assert ema.module.weight.item() > 0.99  # a plain 0.999 EMA would be at 0.18


def test_ema_warmup_update_follows_its_formula_for_parameters_and_buffers():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ema = make_ema(model, decay=0.5)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    for k in range(4):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        model(torch.randn(5, 3))  # moves the running statistics and the batch counter
        current = model.state_dict()
        weight = 1.0 if k == 0 else 1.0 - min(0.5, (1.0 + k) / (10.0 + k))  # the first update copies
        for key, value in current.items():
            expected[key] = value.clone() if not value.is_floating_point() else torch.lerp(expected[key], value, weight)
        ema.update_parameters(model)
        for key, value in ema.module.state_dict().items():
            assert torch.allclose(value, expected[key], atol=1e-6), (k, key)
    assert int(ema.n_averaged) == 4


def test_mode_seeking_loss_punishes_a_generator_that_ignores_z():
    from molgan.core.stabilizers import mode_seeking_loss

    z = torch.randn(8, 4)
    collapsed = (torch.ones(8, 3, requires_grad=True),)
    diverse = (z[:, :3] * 2,)
    assert mode_seeking_loss(collapsed, z) > 1000 * mode_seeking_loss(diverse, z)
    mode_seeking_loss(collapsed, z).backward()
    assert collapsed[0].grad is not None


def test_ema_copies_constant_buffers_instead_of_averaging_them():
    # A lerp between two -inf masks is NaN: the generator's diagonal mask (non-persistent)
    # must stay -inf in the EMA copy; persistent float buffers are averaged as before.
    from molgan.core.stabilizers import make_ema

    class Masked(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(2))
            self.register_buffer("mask", torch.tensor([0.0, float("-inf")]), persistent=False)
            self.register_buffer("running", torch.zeros(2))

    model = Masked()
    ema = make_ema(model, decay=0.5, warmup=True)
    for step in range(1, 4):
        with torch.no_grad():
            model.weight.fill_(step)
            model.running.fill_(step)
        ema.update_parameters(model)
    assert torch.equal(ema.module.mask, model.mask)
    assert 1.0 < float(ema.module.running[0]) < 3.0 and torch.equal(ema.module.running, ema.module.weight.detach())


def test_ema_of_the_molecule_generator_has_no_nan():
    from molgan.core.stabilizers import make_ema
    from molgan.mol.nn.models import MolGenerator

    generator = MolGenerator(8, 5, 4, 4, hidden=(16,))
    ema = make_ema(generator, decay=0.999)
    for _ in range(3):
        ema.update_parameters(generator)
    bonds, atoms = ema.module.logits(torch.randn(3, 8))
    assert not torch.isnan(bonds).any() and not torch.isnan(atoms).any()
