"""Property conditioning: parsing --condition, the scale a run records, the training
molecules' properties (recomputed here with RDKit), and the conditioned networks."""
import pytest
import torch
from helpers import MOLECULES
from rdkit import Chem
from rdkit.Chem import QED, Crippen

from molgan.errors import InputError
from molgan.mol.conditioning import PropertyScale, parse_condition, training_properties
from molgan.mol.config import MolModelConfig
from molgan.mol.losses.condition import PropertyRegression
from molgan.mol.nn.models import GraphCritic, MolGenerator


def test_condition_text_is_parsed_and_malformed_text_named():
    assert parse_condition("qed=0.5") == {"qed": 0.5}
    assert parse_condition(" qed = 0.5 , logp=-1 ") == {"qed": 0.5, "logp": -1.0}
    for text, message in [("qed", "expected name=value"), ("=0.5", "expected name=value"),
                          ("toxicity=1", "unknown property 'toxicity'"), ("qed=high", "'high' is not a number"),
                          ("qed=0.4,qed=0.5", "qed is given twice"), ("qed=nan", "must be finite")]:
        with pytest.raises(InputError, match=message):
            parse_condition(text)


def _scale() -> PropertyScale:
    values = torch.tensor([[0.2, -1.0], [0.4, 0.0], [0.6, 1.0], [0.4, 2.0]], dtype=torch.float64)
    return PropertyScale.fit(("qed", "logp"), values)


def test_scale_normalises_by_the_data_and_keeps_its_range():
    scale = _scale()
    assert scale.low == (0.2, -1.0) and scale.high == (0.6, 2.0)
    normalised = scale.normalize(torch.tensor([[0.2, -1.0], [0.4, 0.0], [0.6, 1.0], [0.4, 2.0]]))
    assert torch.allclose(normalised.mean(0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(normalised.std(0), torch.ones(2), atol=1e-6)
    assert PropertyScale.from_dict(scale.to_dict()) == scale
    assert sorted(scale.reference) == sorted(((0.2, -1.0), (0.4, 0.0), (0.6, 1.0), (0.4, 2.0)))


def test_a_target_outside_the_data_or_not_conditioned_on_is_refused():
    scale = _scale()
    scale.check({"qed": 0.6, "logp": -1.0})  # the ends of the range are inside it
    with pytest.raises(InputError, match="qed=0.7 is outside the training data's range 0.2 to 0.6"):
        scale.check({"qed": 0.7})
    only_qed = PropertyScale.fit(("qed",), torch.tensor([[0.2], [0.5]]))
    with pytest.raises(InputError, match="conditioned on qed only"):
        only_qed.check({"logp": 1.0})


def test_conditions_fix_the_targets_and_draw_the_rest_from_the_data():
    scale = _scale()
    cond = scale.conditions({"qed": 0.5}, 400, seed=0)
    values = cond.double() * torch.tensor(scale.std) + torch.tensor(scale.mean)
    assert torch.allclose(values[:, 0], torch.full((400,), 0.5, dtype=torch.float64), atol=1e-6)
    assert set(values[:, 1].round(decimals=4).tolist()) == {-1.0, 0.0, 1.0, 2.0}  # the data's own logP values
    assert torch.equal(scale.conditions({}, 10, seed=3), scale.conditions({}, 10, seed=3))


def test_training_properties_are_rdkit_values_computed_once(tmp_path):
    smiles = MOLECULES[:6]
    values = training_properties(smiles, ("qed", "logp"), tmp_path, progress=False)
    expected = [(QED.qed(m), Crippen.MolLogP(m)) for m in map(Chem.MolFromSmiles, smiles)]
    assert torch.allclose(values, torch.tensor(expected, dtype=torch.float64))
    # The cache is read when it matches the dataset (a marked file is returned as it is) ...
    torch.save(torch.arange(6, dtype=torch.float64), tmp_path / "property_qed.pt")
    assert training_properties(smiles, ("qed",), tmp_path, progress=False)[:, 0].tolist() == list(range(6))
    # ... and computed again when it does not (another dataset's length).
    torch.save(torch.zeros(3, dtype=torch.float64), tmp_path / "property_qed.pt")
    again = training_properties(smiles, ("qed",), tmp_path, progress=False)
    assert torch.allclose(again[:, 0], values[:, 0])


def test_config_takes_a_list_of_properties_and_refuses_unknown_ones():
    from molgan.core.config import build_config
    from molgan.mol.config import MolRunConfig

    config = build_config(MolRunConfig, overrides=["condition=qed,logp"])
    assert config.model.condition == ("qed", "logp")
    assert build_config(MolRunConfig, overrides=["condition=['sa']"]).model.condition == ("sa",)
    with pytest.raises(InputError, match="unknown property 'toxicity'"):
        MolModelConfig(condition=("qed", "toxicity"))


def test_conditioned_generator_reads_the_condition_and_defaults_to_the_mean():
    torch.manual_seed(0)
    generator = MolGenerator(8, 5, 4, 5, hidden=(16,), post="softmax", condition_dim=2)
    z = torch.randn(3, 8)
    low, _ = generator.logits(z, torch.full((3, 2), -2.0))
    high, _ = generator.logits(z, torch.full((3, 2), 2.0))
    assert not torch.allclose(low, high)
    assert torch.equal(generator.logits(z)[0], generator.logits(z, torch.zeros(3, 2))[0])
    assert "condition_dim=2" in repr(generator)


def test_conditioned_critic_needs_the_condition_and_the_regressor_gives_one_value_per_property():
    torch.manual_seed(0)
    bonds = torch.softmax(torch.randn(4, 5, 5, 5), -1)
    atoms = torch.softmax(torch.randn(4, 5, 4), -1)
    critic = GraphCritic(4, 5, (8,), 8, (8,), condition_dim=2)
    with pytest.raises(ValueError, match="pass cond"):
        critic(bonds, atoms)
    scores = critic(bonds, atoms, cond=torch.zeros(4, 2))
    assert scores.shape == (4,)
    assert not torch.allclose(scores, critic(bonds, atoms, cond=torch.ones(4, 2)))
    assert GraphCritic(4, 5, (8,), 8, (8,), outputs=3)(bonds, atoms).shape == (4, 3)


def test_property_regression_learns_the_real_properties_and_charges_the_generator_the_distance():
    torch.manual_seed(0)
    # Graphs whose "property" is their number of atoms: 1 to 5 carbons, no bonds.
    counts = torch.arange(1, 6).repeat(8)
    atoms = torch.nn.functional.one_hot((torch.arange(5)[None] < counts[:, None]).long(), 2).float()
    bonds = torch.nn.functional.one_hot(torch.zeros(40, 5, 5).long(), 2).float()
    target = ((counts.float() - 3) / 1.4).unsqueeze(-1)
    regression = PropertyRegression(GraphCritic(2, 2, (16,), 16, (16,), outputs=1), weight=2.0, lr=1e-2)
    first = regression.critic_step((bonds, atoms), (), 0, target)["cond/regressor_mse"].item()
    for step in range(300):
        last = regression.critic_step((bonds, atoms), (), step, target)["cond/regressor_mse"].item()
    assert last < 0.05 < first
    # The generator's loss: small where a graph has the property asked for, large where not.
    right = regression.generator_loss((bonds, atoms), 0, target)
    wrong = regression.generator_loss((bonds, atoms), 0, -target)
    assert right < 0.1 < wrong
    assert torch.allclose(wrong / 2.0, torch.nn.functional.mse_loss(regression.net(bonds, atoms).view(-1, 1), -target),
                          rtol=1e-5)


def test_property_regression_also_learns_the_generated_graphs_scored_and_skips_non_molecules():
    torch.manual_seed(0)
    counts = torch.arange(1, 6).repeat(4)
    atoms = torch.nn.functional.one_hot((torch.arange(5)[None] < counts[:, None]).long(), 2).float()
    bonds = torch.nn.functional.one_hot(torch.zeros(20, 5, 5).long(), 2).float()
    real_target = torch.zeros(20, 1)  # the real graphs all read 0 ...
    scored = []

    def score(fake):  # ... the generated ones, by their "RDKit" value: 1, except for non-molecules
        scored.append(len(fake[0]))
        values = torch.ones(len(fake[0]), 1)
        values[::2] = float("nan")
        return values

    regression = PropertyRegression(GraphCritic(2, 2, (16,), 16, (16,), outputs=1), weight=1.0, lr=1e-2, score=score)
    fake_bonds = bonds.clone()
    fake_bonds[:, 0, 1] = fake_bonds[:, 1, 0] = torch.tensor([0.0, 1.0])  # generated graphs: a bond 0-1
    fake = (fake_bonds, atoms)
    for step in range(200):
        stats = regression.critic_step((bonds, atoms), fake, step, real_target)
    assert scored[-1] == 20 and "cond/regressor_fake_mse" in stats
    readings = regression.net(*fake).view(-1)
    # the scored generated graphs are read as their value, the real ones as theirs; the NaN
    # rows are no target (a NaN in the loss would have made every reading NaN)
    assert torch.isfinite(readings).all()
    assert readings.mean() > 0.8 and regression.net(bonds, atoms).mean().abs() < 0.2


def test_condition_errors_are_rdkit_distances_to_the_values_asked_for():
    from molgan.mol.task import condition_errors

    scale = PropertyScale.fit(("qed", "logp"), torch.tensor([[0.3, -1.0], [0.5, 1.0]], dtype=torch.float64))
    asked = torch.tensor([[0.4, 0.0], [0.5, 2.0], [0.1, 0.1]], dtype=torch.float64)
    smiles = ["CCO", "c1ccccc1", None]  # the third is no molecule: left out
    metrics = condition_errors(smiles, scale.normalize(asked), scale)
    mols = [Chem.MolFromSmiles(s) for s in smiles[:2]]
    qed_error = (abs(QED.qed(mols[0]) - 0.4) + abs(QED.qed(mols[1]) - 0.5)) / 2
    logp_error = (abs(Crippen.MolLogP(mols[0]) - 0.0) + abs(Crippen.MolLogP(mols[1]) - 2.0)) / 2
    assert metrics["condition_mae/qed"] == pytest.approx(qed_error, rel=1e-5)
    assert metrics["condition_mae/logp"] == pytest.approx(logp_error, rel=1e-5)
    assert metrics["condition_error"] == pytest.approx((qed_error / scale.std[0] + logp_error / scale.std[1]) / 2,
                                                       rel=1e-5)


def test_upper_conditions_ask_for_values_above_the_quantile():
    values = torch.stack([torch.arange(1000, dtype=torch.float64), torch.ones(1000, dtype=torch.float64)], 1)
    values[:, 1] = torch.linspace(-1, 1, 1000, dtype=torch.float64)
    scale = PropertyScale.fit(("reward", "other"), values)
    asked = scale.denormalize(scale.upper_conditions("reward", 0.75, 4000, seed=0))
    assert asked[:, 0].min() >= 749 - 1e-6 and asked[:, 0].max() <= 999 + 1e-6
    assert abs(float(asked[:, 0].mean()) - 874) < 5  # uniform over the top quarter
    assert float(asked[:, 1].std()) > 0.4  # the other column drawn as in the data
    assert torch.equal(scale.upper_conditions("reward", 0.75, 10, seed=3), scale.upper_conditions("reward", 0.75, 10,
                                                                                                  seed=3))
