"""`train.compile` on the molecule GAN: the critic update (R-GCN with the valence input,
mini-batch std, gradient penalty) and the generator update (reward term and feature
matching) give the eager losses and gradients, with the argmax output and with the default
valence-aware layer (whose per-pair loop, of data-dependent length, makes the compiler break
the graph there)."""
import pytest
import torch
from helpers import capture_gradients

from molgan.core.devices import resolve_precision
from molgan.core.trainer import Trainer
from molgan.mol.config import MolDataConfig, MolRunConfig
from molgan.mol.task import build_mol_task


@pytest.mark.parametrize("post", ["st-argmax", "st-valence"])  # st-valence: the default generator
def test_compiled_molecule_updates_equal_eager_ones(tmp_path, data_dir, mols_csv, post):
    path = mols_csv
    results = []
    for compiled in (False, True):
        config = MolRunConfig(data=MolDataConfig(dataset=str(path)))
        config.train.batch_size, config.train.n_critic, config.train.compile = 8, 2, compiled
        config.train.adversarial_weight, config.model.post = 0.5, post  # reward term on
        config.eval.fcd = False
        assert config.train.feature_matching > 0
        assert config.model.valence_feature and config.model.minibatch_std
        torch.manual_seed(0)
        task = build_mol_task(config, torch.device("cpu"), progress=False)
        trainer = Trainer(task, config.train, tmp_path / f"{post}-{compiled}", torch.device("cpu"),
                          resolve_precision(torch.device("cpu"), "off"))
        assert (trainer.d_update.compiled is not None) == compiled
        grads = capture_gradients(trainer)
        stats = {**trainer.critic_step(train_objectives=False), **trainer.generator_step()}
        results.append((stats, grads))
    (eager_stats, eager_grads), (compiled_stats, compiled_grads) = results
    assert {"d/gp", "g/adversarial"} <= set(eager_stats)
    for key in eager_stats:
        assert torch.allclose(eager_stats[key], compiled_stats[key], rtol=1e-4, atol=1e-5), key
    assert eager_grads.keys() == compiled_grads.keys() and any(k[0] == "g" for k in eager_grads)
    for key, value in eager_grads.items():
        assert torch.allclose(value, compiled_grads[key], rtol=1e-3, atol=1e-5), key
    # The reward network scored the generator's batch: its term is part of the compared loss.
    assert any(o.name == "reward" for o in task.objectives)
