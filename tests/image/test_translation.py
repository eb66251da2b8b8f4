"""The translation GANs' parts: networks, data, pixel figures, the sample pool."""
import math

import pytest
import torch

from molgan.core.pool import SamplePool
from molgan.image.translation import data as pairs
from molgan.image.translation.metrics import mean_absolute_error, psnr, ssim
from molgan.image.translation.models import (CycleDiscriminator, CycleGenerator, PatchDiscriminator, SRResNet,
                                             UNetGenerator)


def test_networks_follow_the_task_shapes():
    torch.manual_seed(0)
    edges = torch.rand(3, 1, 28, 28) * 2 - 1
    (digits,) = UNetGenerator(1, 1, 8)(None, cond=edges)
    assert digits.shape == (3, 1, 28, 28) and digits.abs().max() <= 1
    scores, features = PatchDiscriminator(1, 1, 8)(digits, cond=edges, features=True)
    assert scores.shape == (3, 49) and features.shape == (3, 16)
    fake_a, fake_b = CycleGenerator(1, 4, 1)(None, cond=torch.cat([edges, -edges], 1))
    assert fake_a.shape == fake_b.shape == (3, 1, 28, 28)
    assert CycleDiscriminator(1, 8)(fake_a, fake_b).shape == (3, 98)
    (high,) = SRResNet(1, 8, 2)(None, cond=pairs.downsample(edges))
    assert high.shape == (3, 1, 28, 28) and high.abs().max() <= 1


def test_cycle_networks_keep_each_direction_to_its_own_domain():
    torch.manual_seed(0)
    generator = CycleGenerator(1, 4, 1)
    a, b = torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28)
    fake_a, fake_b = generator(None, cond=torch.cat([a, b], 1))
    assert torch.equal(fake_a, generator.ba(b)) and torch.equal(fake_b, generator.ab(a))
    critic = CycleDiscriminator(1, 8)
    scores = critic(fake_a, fake_b)
    assert torch.equal(scores[:, :49], critic.a(fake_a)) and torch.equal(scores[:, 49:], critic.b(fake_b))


def test_likelihoods_are_the_papers_pixel_losses():
    torch.manual_seed(0)
    unet, sr = UNetGenerator(1, 1, 8).eval(), SRResNet(1, 8, 1).eval()
    source, target = torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28)
    expected = (unet(None, cond=source)[0] - target).abs().mean((1, 2, 3))
    assert torch.allclose(unet.negative_log_likelihood(target, cond=source), expected)
    low = pairs.downsample(source)
    expected = (sr(None, cond=low)[0] - target).pow(2).mean((1, 2, 3))
    assert torch.allclose(sr.negative_log_likelihood(target, cond=low), expected)


def test_edge_map_keeps_the_outline_of_a_stroke():
    square = torch.zeros(1, 1, 9, 9, dtype=torch.uint8)
    square[..., 2:7, 2:7] = 255
    edges = pairs.edge_map(square)[0, 0] > 0
    # The morphological gradient marks the square's border and the ring just outside it.
    inside = torch.zeros(9, 9, dtype=torch.bool)
    inside[3:6, 3:6] = True
    ring = torch.zeros(9, 9, dtype=torch.bool)
    ring[1:8, 1:8] = True
    assert torch.equal(edges, ring & ~inside)


def test_downsample_averages_blocks_and_bicubic_restores_the_size():
    images = torch.arange(16.0).view(1, 1, 4, 4) / 16
    low = pairs.downsample(images, 2)
    assert torch.allclose(low[0, 0], torch.tensor([[2.5, 4.5], [10.5, 12.5]]) / 16)
    assert pairs.upsample_bicubic(low, 2).shape == (1, 1, 4, 4)


def test_unpaired_rows_use_every_row_of_the_smaller_domain_in_turn():
    rows = pairs.unpaired_rows(10, 4, seed=3)
    assert sorted(rows[:4].tolist()) == [0, 1, 2, 3] and torch.equal(rows[4:8], rows[:4])
    assert pairs.held_out(25).nonzero().flatten().tolist() == [0, 10, 20]


def test_pixel_figures_on_hand_made_images():
    white, grey = torch.ones(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)  # [-1, 1]: 1.0 and 0.5 in [0, 1]
    assert mean_absolute_error(white, grey) == pytest.approx(0.5)
    assert psnr(white, grey) == pytest.approx(10 * math.log10(1 / 0.25))
    assert ssim(white, white) == pytest.approx(1.0)
    # Flat images: no variance, so SSIM is its luminance term (2·1·0.5 + C1) / (1 + 0.25 + C1).
    c1 = 0.01 ** 2
    assert ssim(white, grey) == pytest.approx((1 + c1) / (1.25 + c1), rel=1e-5)
    noisy = torch.rand(2, 1, 28, 28) * 2 - 1
    assert ssim(noisy, noisy) == pytest.approx(1.0) and ssim(noisy, -noisy) < 0


def test_sample_pool_fills_then_swaps_and_resumes_exactly():
    pool = SamplePool(4)
    first = torch.arange(4.0).view(4, 1)
    assert torch.equal(pool.query(first)[0], first)  # filling: the batch as it is
    torch.manual_seed(0)
    state = pool.state_dict()
    rng = torch.get_rng_state()
    fresh = torch.arange(10.0, 18.0).view(8, 1)
    (shown,) = pool.query(fresh)
    # Each row is its own new sample or one of the stored ones; the pool stays full.
    stored = set(first.flatten().tolist())
    for new, got in zip(fresh.flatten().tolist(), shown.flatten().tolist()):
        assert got == new or got in stored or got in fresh.flatten().tolist()
    assert len(pool.rows) == 4 and shown.flatten().tolist() != fresh.flatten().tolist()
    again = SamplePool(4)
    again.load_state_dict(state)
    torch.set_rng_state(rng)
    assert torch.equal(again.query(fresh)[0], shown)
    # Rows of several tensors stay together (a sample and its condition).
    images, conds = SamplePool(2).query(torch.ones(3, 2), torch.tensor([5.0, 6.0, 7.0]))
    assert images.shape == (3, 2) and conds.shape == (3,)


def test_sample_pool_of_size_zero_changes_nothing():
    batch = torch.randn(3, 2)
    assert SamplePool(0).query(batch)[0] is batch
    with pytest.raises(ValueError):
        SamplePool(-1)
