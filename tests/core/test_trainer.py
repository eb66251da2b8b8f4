import pytest
import torch
from helpers import assert_same, capture_gradients, make_trainer, weights, without_batch_norm

from molgan.core.checkpoint import load_checkpoint
from molgan.core.data import TensorData
from molgan.core.devices import resolve_precision
from molgan.core.losses import LOSSES
from molgan.core.train_config import TrainConfig
from molgan.core.trainer import Trainer
from molgan.errors import InputError, RunFailure
from molgan.image.data import make_synthetic
from molgan.image.task import ImageModelConfig, ImageRunConfig, ImageTask


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_trains_and_checkpoints(tmp_path, loss):
    trainer = make_trainer(tmp_path, loss=loss)
    before = {k: v.clone() for k, v in weights(trainer).items()}
    trainer.fit()
    after = weights(trainer)
    assert trainer.step == 6
    assert all(torch.isfinite(v.float()).all() for v in after.values())
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("g."))
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-0000003.pt", "step-0000006.pt"]
    if loss == "wgan":
        d_params = [p for p in trainer.task.discriminator.parameters()]
        assert max(float(p.detach().abs().max()) for p in d_params) <= 0.01 + 1e-7
    assert (tmp_path / "metrics.csv").read_text().startswith("step,")
    assert (tmp_path / "samples" / "latest.png").is_file()


def test_same_seed_same_weights(tmp_path):
    a = make_trainer(tmp_path / "a")
    a.fit()
    b = make_trainer(tmp_path / "b")
    b.fit()
    assert_same(weights(a), weights(b))


@pytest.mark.parametrize("options", [
    dict(), dict(model="dcgan", feature_matching=1.0, lr_schedule="cosine", grad_clip=1.0),
])
def test_resume_continues_exactly(tmp_path, options):
    straight = make_trainer(tmp_path / "straight", **options)
    straight.fit()
    first = make_trainer(tmp_path / "split", **options)
    first.fit(until=3)  # as if killed after the step-3 checkpoint
    state = load_checkpoint(tmp_path / "split" / "checkpoints" / "step-0000003.pt")
    second = make_trainer(tmp_path / "split", seed=99, **options)  # seed must not matter
    second.load_state_dict(state)
    assert second.step == 3
    second.fit()
    assert_same(weights(straight), weights(second))


def test_checkpoint_from_another_model_is_incompatible(tmp_path):
    mlp = make_trainer(tmp_path / "mlp", max_steps=3)
    mlp.fit()
    dcgan = make_trainer(tmp_path / "dcgan", model="dcgan")
    with pytest.raises(InputError, match="incompatible checkpoint"):
        dcgan.load_state_dict(load_checkpoint(tmp_path / "mlp" / "checkpoints" / "step-0000003.pt"))


def test_non_finite_loss_stops_at_that_step_and_keeps_the_last_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, max_steps=8)
    original = trainer.generator_step

    def poisoned():
        if trainer.step == 4:  # the 5th generator step
            with torch.no_grad():
                next(trainer.task.generator.parameters()).fill_(float("nan"))
        return original()

    trainer.generator_step = poisoned
    with pytest.raises(RunFailure, match=r"non-finite generator loss \(nan\) at step 5"):
        trainer.fit()
    saved = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert saved == ["step-0000003.pt"]
    state = load_checkpoint(tmp_path / "checkpoints" / "step-0000003.pt")
    assert all(torch.isfinite(v).all() for v in state["generator"].values() if v.is_floating_point())


def test_non_finite_loss_can_be_skipped(tmp_path, caplog):
    trainer = make_trainer(tmp_path, max_steps=4, on_nonfinite="skip", n_critic=1)
    original = trainer.task.discriminator.forward
    calls = {"n": 0}

    def sometimes_nan(*args, **kwargs):
        calls["n"] += 1
        out = original(*args, **kwargs)
        return out * float("nan") if calls["n"] == 1 else out

    trainer.task.discriminator.forward = sometimes_nan
    trainer.fit()
    assert trainer.step == 4 and "step skipped" in caplog.text


def test_bf16_autocast_on_cpu_with_gradient_penalty(tmp_path):
    trainer = make_trainer(tmp_path, model="dcgan", precision="bf16", loss="wgan-gp", max_steps=2)
    assert trainer.precision.dtype == torch.bfloat16 and not trainer.precision.needs_scaler
    trainer.fit()
    assert all(torch.isfinite(v.float()).all() for v in weights(trainer).values())


def test_fp16_is_refused_on_cpu():
    with pytest.raises(InputError, match="fp16"):
        resolve_precision(torch.device("cpu"), "fp16")


def test_time_budget_stops_early_and_still_checkpoints(tmp_path):
    trainer = make_trainer(tmp_path, max_steps=10_000, max_minutes=1e-9)
    trainer.fit()
    # 60 ns of budget are gone before the first step: it stops at once, saying why, and
    # still leaves a checkpoint to resume from
    assert trainer.step == 0 and trainer.stop_reason == "time budget of 1e-09 min reached"
    assert load_checkpoint(tmp_path / "checkpoints" / "step-0000000.pt")["step"] == 0


def _scripted_evaluations(trainer, monkeypatch, values):
    scores = iter(values)
    monkeypatch.setattr(trainer.task, "evaluate", lambda generator, step: {"score": next(scores)})


def test_patience_stops_after_evaluations_without_improvement(tmp_path, monkeypatch):
    options = dict(max_steps=50, eval_every=1, sample_every=100, checkpoint_every=100, best_metric="score",
                   patience=2)
    trainer = make_trainer(tmp_path / "run", **options)
    _scripted_evaluations(trainer, monkeypatch, [5.0, 4.0, 4.5, 4.2, 3.0])
    trainer.fit()
    # steps 1 and 2 improve, 3 and 4 do not: stop after step 4, best.pt from step 2
    assert trainer.step == 4 and (trainer.tracker.best, trainer.tracker.best_step) == (4.0, 2)
    assert "no better score in 2 evaluations" in trainer.stop_reason
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt")["step"] == 2
    final = load_checkpoint(tmp_path / "run" / "checkpoints" / "step-0000004.pt")
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    score = rows[0].split(",").index("score")
    assert [r.split(",")[score] for r in rows[1:] if r.split(",")[score]] == ["5.0", "4.0", "4.5", "4.2"]  # once each
    # Resumed as it is, the run stops at once; with more patience it trains on.
    again = make_trainer(tmp_path / "run", **options)
    again.load_state_dict(final)
    again.fit()
    assert again.step == 4 and again.stop_reason
    more = make_trainer(tmp_path / "run", **{**options, "patience": 3})
    more.load_state_dict(final)
    _scripted_evaluations(more, monkeypatch, [3.5, 3.0])
    more.fit(until=6)
    assert more.step == 6 and more.stop_reason is None and (more.tracker.best, more.tracker.best_step) == (3.0, 6)


def test_patience_ignores_a_metric_that_is_not_computed(tmp_path, monkeypatch):
    trainer = make_trainer(tmp_path, max_steps=6, eval_every=1, best_metric="score", patience=2)
    monkeypatch.setattr(trainer.task, "evaluate", lambda generator, step: {"other": 1.0})
    trainer.fit()
    assert trainer.step == 6 and trainer.stop_reason is None


def test_patience_needs_a_metric_to_wait_for():
    with pytest.raises(ValueError, match="patience needs train.best_metric"):
        TrainConfig(patience=2)
    with pytest.raises(ValueError, match="patience must be 0"):
        TrainConfig(patience=-1, best_metric="fcd")


def test_fp16_loss_scaling_path_runs_on_cpu(tmp_path):
    """The CUDA fp16 recipe (GradScaler, scaled gradient penalty, overflow back-off),
    exercised on the CPU, where torch also implements fp16 autocast and GradScaler."""
    from molgan.core.devices import Precision

    trainer = make_trainer(tmp_path, model="dcgan", loss="wgan-gp", max_steps=3)
    trainer.precision = Precision("cpu", torch.float16)
    trainer.g_update.scaler, trainer.d_update.scaler = trainer.precision.scaler(), trainer.precision.scaler()
    assert trainer.d_update.scaler.is_enabled()
    trainer.fit()
    assert trainer.step == 3
    assert all(torch.isfinite(p).all() for p in trainer.task.generator.parameters())
    assert trainer.d_update.scaler.get_scale() < 65536.0  # it met an overflow and backed off


@pytest.mark.parametrize("loss", ["wgan-gp", "hinge"])
def test_fused_critic_pass_equals_separate_passes(tmp_path, loss):
    results = []
    for fused in (True, False):
        trainer = make_trainer(tmp_path / str(fused), loss=loss, fused_critic=fused)
        trainer.d_update.optimizer.step = lambda *a, **k: None  # keep the gradients, skip the update
        stats = trainer.critic_step()
        grads = [p.grad.clone() for p in trainer.task.discriminator.parameters()]
        results.append((stats, grads))
    (fused_stats, fused_grads), (separate_stats, separate_grads) = results
    for key in fused_stats:
        assert torch.allclose(fused_stats[key], separate_stats[key], rtol=1e-5, atol=1e-6), key
    for a, b in zip(fused_grads, separate_grads):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("feature_matching", [0.0, 1.0])
def test_compiled_training_steps_equal_eager_ones(tmp_path, feature_matching):
    # torch.compile turns each update into one graph, gradient penalty included (via
    # torch.func.grad: it cannot compile a double backward); losses and gradients must
    # match eager ones. (The image MLP's generator loses its BatchNorm, which the compiled
    # generator update does not take.)
    results = []
    for compiled in (False, True):
        config = ImageRunConfig(model=ImageModelConfig(kind="mlp", latent_dim=8, width=4),
                                train=TrainConfig(batch_size=8, n_critic=2, loss="wgan-gp", compile=compiled,
                                                  feature_matching=feature_matching))
        torch.manual_seed(0)
        task = ImageTask(make_synthetic(64, 28), config, torch.device("cpu"), score=False)
        without_batch_norm(task.generator)
        trainer = Trainer(task, config.train, tmp_path / str(compiled), torch.device("cpu"),
                          resolve_precision(torch.device("cpu"), "off"))
        grads = capture_gradients(trainer)
        assert (trainer.d_update.compiled is not None, trainer.g_update.compiled is not None) == (compiled, compiled)
        stats = {**trainer.critic_step(), **trainer.generator_step()}
        grads = [grads[(update, name)] for update in ("d", "g")
                 for name, _ in (task.discriminator if update == "d" else task.generator).named_parameters()]
        results.append((stats, grads))
    (eager_stats, eager_grads), (compiled_stats, compiled_grads) = results
    assert "d/gp" in eager_stats
    for key in eager_stats:
        assert torch.allclose(eager_stats[key], compiled_stats[key], rtol=1e-4, atol=1e-5), key
    for a, b in zip(eager_grads, compiled_grads):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_one_generator_pass_makes_the_batches_of_all_critic_steps(tmp_path, batch_norm):
    # G is fixed between generator steps: one pass can generate all n_critic batches, except
    # with BatchNorm, whose batch statistics would then span n_critic batches.
    config = ImageRunConfig(model=ImageModelConfig(kind="mlp", latent_dim=8, width=4),
                            train=TrainConfig(batch_size=8, n_critic=3))
    task = ImageTask(make_synthetic(64, 28), config, torch.device("cpu"), score=False)
    if not batch_norm:
        without_batch_norm(task.generator)
    trainer = Trainer(task, config.train, tmp_path, torch.device("cpu"), resolve_precision(torch.device("cpu"), "off"))
    inputs, fakes = [], []
    task.generator.register_forward_hook(lambda module, args, out: inputs.append(args[0].shape[0]))
    for _ in range(2):
        for k in range(3):
            trainer.critic_step()
            fakes.append(trainer._fakes[0][0][0].clone() if trainer._fakes else None)
        trainer.generator_step()
    passes = 3 if batch_norm else 1
    assert inputs == ([8 * 3 // passes] * passes + [8]) * 2  # the critic steps' passes, the generator step's
    if not batch_norm:  # the queued batches are distinct slices of the one pass
        assert fakes[0] is not None and not torch.equal(fakes[0], fakes[1])
        trainer.critic_step()
        assert len(trainer._fakes) == 2
        trainer.generator_step()
        assert not trainer._fakes  # made by the old generator: dropped


def test_adam_on_returned_gradients_equals_optimizer_steps(tmp_path):
    # The compiled update skips Optimizer.step and .grad: Adam's functional form must give
    # the same parameters and state, step after step.
    from molgan.core.compiled import adam_step

    trainers = [make_trainer(tmp_path / str(k)) for k in range(2)]
    named = [list(t.task.discriminator.named_parameters()) for t in trainers]
    torch.manual_seed(1)
    for step in range(3):
        grads = {name: torch.randn_like(p) for name, p in named[0]}
        for trainer, params in zip(trainers, named):
            if trainer is trainers[0] or step == 0:  # the first step creates Adam's state
                for name, p in params:
                    p.grad = grads[name].clone()
                trainer.d_update.optimizer.step()
            else:
                adam_step(trainer.d_update.optimizer, params, grads)
    assert_same(weights(trainers[0]), weights(trainers[1]))
    steps = [[float(s["step"]) for s in t.d_update.optimizer.state.values()] for t in trainers]
    assert steps[0] == steps[1] == [3.0] * len(steps[0])


def test_compiled_critic_with_running_statistics_keeps_autograd(tmp_path):
    # A torch.func transform cannot update BatchNorm's running statistics: such critics
    # (no gradient penalty, which needs a transform as well) train through a compiled
    # forward and autograd's backward instead.
    config = ImageRunConfig(model=ImageModelConfig(kind="mlp", latent_dim=8, width=4),
                            train=TrainConfig(batch_size=8, loss="bce", compile=True))
    task = ImageTask(make_synthetic(64, 28), config, torch.device("cpu"), score=False)
    task.discriminator.body.append(torch.nn.BatchNorm1d(16))
    trainer = Trainer(task, config.train, tmp_path, torch.device("cpu"), resolve_precision(torch.device("cpu"), "off"))
    assert trainer.d_update.compiled is None
    trainer.critic_step()
    assert int(task.discriminator.body[-1].num_batches_tracked) == 1  # one pass: real and generated


def test_compile_without_a_cpp_compiler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(InputError, match="train.compile needs a C\\+\\+ compiler"):
        make_trainer(tmp_path, compile=True)


def test_milestones_record_the_first_evaluation_that_meets_every_threshold():
    from molgan.core.logs import Milestones

    milestones = Milestones({"v90u90": {"validity": 0.9, "uniqueness": 0.9}, "v50": {"validity": 0.5}})
    assert milestones.update({"validity": 0.6, "uniqueness": 0.95}, step=10, minutes=1.0) == ["v50"]
    assert milestones.update({"validity": 0.95}, step=20, minutes=2.0) == []  # uniqueness missing
    assert milestones.update({"validity": 0.92, "uniqueness": 0.91}, step=30, minutes=3.0) == ["v90u90"]
    assert milestones.update({"validity": 0.99, "uniqueness": 0.99}, step=40, minutes=4.0) == []
    assert milestones.summary() == {"v90u90": {"step": 30, "minutes": 3.0}, "v50": {"step": 10, "minutes": 1.0}}


def test_generator_gradient_norms_name_each_term_and_leave_training_untouched(tmp_path):
    trainer = make_trainer(tmp_path, feature_matching=0.5)
    without_batch_norm(trainer.task.generator)
    task = trainer.task
    before, stream = {k: v.clone() for k, v in weights(trainer).items()}, dict(trainer.stream.state())
    torch.manual_seed(3)
    norms = trainer.generator_gradient_norms()
    assert set(norms) == {"adversarial", "feature_matching"} and all(v > 0 for v in norms.values())
    assert_same(weights(trainer), before) and trainer.stream.state() == stream
    assert all(p.requires_grad for p in task.discriminator.parameters())
    # The adversarial term's norm by hand: the same latents and labels, autograd on its loss alone.
    torch.manual_seed(3)
    z = torch.randn(8, task.latent_dim)
    cond = task.sample_condition(8)
    adversarial = trainer.loss.g(task.discriminator(*task.generator(z, cond=cond), cond=cond))
    grads = torch.autograd.grad(adversarial, list(task.generator.parameters()), allow_unused=True)
    by_hand = float(torch.sqrt(sum((g ** 2).sum() for g in grads if g is not None)))
    assert norms["adversarial"] == pytest.approx(by_hand, rel=1e-5)


@pytest.mark.parametrize("steps, phases, unused", [
    (dict(max_steps=100), {"adversarial": 100}, {"policy_lr"}),
    (dict(max_steps=100, likelihood_steps=100), {"likelihood": 100}, {"n_critic", "lr_d", "gp_weight"}),
    (dict(max_steps=100, likelihood_steps=60, policy_steps=40), {"likelihood": 60, "policy": 40}, {"n_critic"}),
    (dict(max_steps=100, likelihood_steps=50, policy_steps=20),
     {"likelihood": 50, "adversarial": 30, "policy": 20}, {"clip_value"}),
    (dict(max_steps=10, likelihood_steps=50, policy_steps=20), {"likelihood": 10}, {"n_critic", "policy_lr"}),
])
def test_phases_split_the_steps_and_name_the_settings_they_leave_unused(steps, phases, unused):
    config = TrainConfig(**steps)
    assert config.phases() == phases and sum(phases.values()) == config.max_steps
    assert config.adversarial_steps == phases.get("adversarial", 0)
    assert unused <= set(config.unused_settings())
    assert not {"max_steps", "lr_g", "batch_size"} & set(config.unused_settings())
    if "adversarial" in phases:
        assert "n_critic" not in config.unused_settings()


def test_a_task_without_a_critic_needs_a_run_without_adversarial_steps(tmp_path):
    trainer = make_trainer(tmp_path / "a")
    trainer.task.discriminator = None
    with pytest.raises(ValueError, match="builds a critic exactly when"):
        Trainer(trainer.task, trainer.config, tmp_path / "b", torch.device("cpu"), trainer.precision)


class _Doubling:
    """A toy translation task: each target is twice its source; the generator scales its source
    by one weight (1 at the start)."""

    paired, milestones, data_source, latent_dim, policy = True, {}, {}, 0, None

    def __init__(self):
        sources = torch.randn(64, 1, 4, 4, generator=torch.Generator().manual_seed(0))
        self.data = TensorData(2 * sources, sources)
        self.generator = _Scale()
        self.discriminator = _Critic()
        self.objectives, self.seen = [], []

    def prepare_batch(self, batch):
        return (batch[0],), batch[1]

    def reconstruction_loss(self, fake, targets, sources):
        self.seen.append(sources)
        return (fake[0] - targets[0]).abs().mean()

    def sample_condition(self, batch_size):
        raise AssertionError("a translation task's batches are made from real sources")

    def critic_inputs(self, graphs):
        return graphs

    def evaluate(self, generator, step):
        return {}

    def write_samples(self, generator, run_dir, step):
        pass

    def describe(self):
        return {"domain": "toy"}

    def summary(self):
        return "doubling"


class _Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(()))

    def forward(self, z, cond):
        return (self.weight * cond,)


class _Critic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(16, 1)

    def forward(self, x, cond=None, features=False):
        return self.linear(x.flatten(1)).squeeze(1)


def test_a_translation_task_learns_its_targets_from_the_critic_steps_batch(tmp_path):
    task = _Doubling()
    critic_sources = []
    original = task.prepare_batch
    task.prepare_batch = lambda batch: critic_sources.append(batch[1]) or original(batch)
    config = TrainConfig(max_steps=60, batch_size=16, n_critic=1, loss="lsgan", lr_g=0.05, ema_decay=0,
                         reconstruction_weight=10.0, sample_pool=8, eval_every=60, sample_every=60,
                         checkpoint_every=60)
    trainer = Trainer(task, config, tmp_path, torch.device("cpu"), resolve_precision(torch.device("cpu"), "off"))
    trainer.fit()
    assert float(task.generator.weight.detach()) == pytest.approx(2.0, abs=0.1)
    # Each generator step reconstructs the very batch its critic step just saw.
    # (The 61st batch: the evaluation's look at which term drives the generator.)
    assert len(critic_sources) == len(task.seen) == 61
    assert all(s is c for s, c in zip(task.seen[:60], critic_sources[:60]))
    assert len(trainer.pool.rows) == 8 and "sample_pool" in trainer.state_dict()


def test_a_reconstruction_weight_needs_a_translation_task(tmp_path):
    with pytest.raises(InputError, match="needs a translation task"):
        make_trainer(tmp_path, reconstruction_weight=1.0)
