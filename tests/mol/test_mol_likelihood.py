"""The autoregressive generator in the shared trainer: likelihood steps first (no critic),
then adversarial steps with the likelihood as a term of the generator's loss."""
import csv

import pytest
import torch

from molgan.core.config import from_dict, to_dict
from molgan.core.devices import resolve_precision
from molgan.core.trainer import Trainer
from molgan.errors import InputError
from molgan.mol.config import MolDataConfig, MolRunConfig
from molgan.mol.task import build_mol_task


def autoregressive_config(path, **train) -> MolRunConfig:
    config = MolRunConfig(data=MolDataConfig(dataset=str(path)))
    config.model.generator, config.model.marginal_matching = "autoregressive", 0.0
    config.model.transformer_dim, config.model.transformer_layers, config.model.transformer_heads = 16, 1, 2
    config.train.batch_size, config.train.n_critic, config.train.feature_matching = 8, 2, 0.0
    for key, value in train.items():
        setattr(config.train, key, value)
    config.eval.fcd = False
    return config


def trainer_for(config, run_dir) -> Trainer:
    torch.manual_seed(0)
    task = build_mol_task(config, torch.device("cpu"), progress=False)
    return Trainer(task, config.train, run_dir, torch.device("cpu"), resolve_precision(torch.device("cpu"), "off"),
                   run_config=to_dict(config))


def metric_rows(run) -> list[dict]:
    with open(run / "metrics.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row.get("g/loss")]


def test_likelihood_steps_train_the_generator_alone_then_the_gan_takes_over(tmp_path, data_dir, mols_csv):
    config = autoregressive_config(mols_csv, likelihood_steps=3, likelihood_weight=0.5, max_steps=4, log_every=1)
    trainer = trainer_for(config, tmp_path / "run")
    critic = {k: v.clone() for k, v in trainer.task.discriminator.state_dict().items()}
    generator = {k: v.clone() for k, v in trainer.task.generator.state_dict().items()}
    trainer.fit(until=3)
    assert all(torch.equal(v, trainer.task.discriminator.state_dict()[k]) for k, v in critic.items())
    assert any(not torch.equal(v, trainer.task.generator.state_dict()[k]) for k, v in generator.items())
    rows = metric_rows(tmp_path / "run")
    assert len(rows) == 3 and all(row["g/nll"] and not row.get("d/loss") for row in rows)
    trainer.fit()
    assert any(not torch.equal(v, trainer.task.discriminator.state_dict()[k]) for k, v in critic.items())
    last = metric_rows(tmp_path / "run")[-1]
    assert last["step"] == "4" and last["d/loss"] and not last["g/nll"]
    norms = trainer.generator_gradient_norms()
    assert set(norms) == {"adversarial", "likelihood"} and all(v > 0 for v in norms.values())


def test_likelihood_is_learnt_and_the_run_samples_and_resumes(tmp_path, data_dir, mols_csv):
    config = autoregressive_config(mols_csv, likelihood_steps=200, max_steps=200, batch_size=16, lr_g=3e-3,
                                   betas=(0.9, 0.999), eval_every=200, sample_every=200, checkpoint_every=200,
                                   best_requires="")
    config.eval.uniqueness_samples, config.eval.latent_scale, config.eval.decode = 0, 1.0, "raw"
    config.model.transformer_dim, config.model.transformer_layers = 32, 2
    config.data.aromatic = False  # kekulized: every graph within the valences is a molecule
    trainer = trainer_for(config, tmp_path / "run")
    batch = trainer.task.prepare_batch(trainer.task.data.__getitems__(list(range(32))))
    before = trainer.task.generator.negative_log_likelihood(*batch[0]).mean().item()
    metrics = trainer.fit()
    after = trainer.task.generator.negative_log_likelihood(*batch[0]).mean().item()
    assert after < 0.5 * before
    assert metrics["raw_validity"] == 1.0 and metrics["uniqueness"] < 0.5  # the few training molecules
    # the checkpoint rebuilds the same generator from its config
    from molgan.mol.sampling import load_generator

    loaded = load_generator(tmp_path / "run")
    assert type(loaded.generator).__name__ == "AutoregressiveGraphGenerator"
    z = torch.randn(4, loaded.generator.latent_dim)
    assert torch.equal(loaded.generator.sample(z)[0], trainer.ema.module.sample(z)[0])


@pytest.mark.parametrize("sets, message", [
    ({"model": {"generator": "autoregressive"}, "train": {"compile": True}}, "train.compile does not support"),
    ({"model": {"transformer_dim": 30, "transformer_heads": 4}}, "multiple of model.transformer_heads"),
])
def test_settings_that_do_not_apply_to_the_autoregressive_generator_are_errors(sets, message):
    with pytest.raises(InputError, match=message):
        from_dict(MolRunConfig, {**to_dict(MolRunConfig()), **{
            k: {**to_dict(MolRunConfig())[k], **v} for k, v in sets.items()}})


def test_likelihood_needs_a_generator_that_scores_data(tmp_path, data_dir, mols_csv):
    config = autoregressive_config(mols_csv, likelihood_steps=2)
    config.model.generator = "mlp"
    with pytest.raises(InputError, match="need a generator that scores data"):
        trainer_for(config, tmp_path / "run")
