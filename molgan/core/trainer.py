"""The one GAN training loop, shared by the molecule and image domains.

Per generator step: `n_critic` discriminator steps (plus the extra objectives' own
training), then one generator step on λ·adversarial + (1−λ)·extra objectives, an EMA
update, and on cadence: logging, evaluation, samples, checkpoints (rank 0 only). A run may
begin with likelihood steps and end with policy steps (`TrainConfig.phases`); one with no
adversarial step has no critic (`task.discriminator` is None). A translation task (`task.paired`)
makes each generated batch from a real batch's conditions, its source images, and may add a
reconstruction loss against the batch's targets.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import time
import warnings
from pathlib import Path

import torch
from torch import Tensor
from tqdm import tqdm

from molgan.core import distributed
from molgan.core.budget import SchedulePlan
from molgan.core.checkpoint import CheckpointManager, rng_state, set_rng_state
from molgan.core.compiled import has_batch_norm, require_cpp_compiler
from molgan.core.data import BatchStream
from molgan.core.devices import Precision, to_device
from molgan.core.interrupt import Interrupted, StopSignals
from molgan.core.logs import MetricsLog, Milestones
from molgan.core.losses import LOSSES, gradient_penalty, mixed_loss_terms, sum_in_order
from molgan.core.policy import PolicyAnchor
from molgan.core.pool import SamplePool
from molgan.core.selection import BestTracker
from molgan.core.stabilizers import feature_matching_loss, make_ema, mode_seeking_loss
from molgan.core.task import GANTask
from molgan.core.train_config import TrainConfig, lr_factor, parse_requirement
from molgan.core.updates import NetworkUpdate, frozen
from molgan.errors import InputError, RunFailure

log = logging.getLogger(__name__)
EVAL_SEED = 1234
MAX_SCALER_OVERFLOWS = 20  # consecutive fp16 overflows tolerated before a loss counts as broken


def _standardised(scores: Tensor) -> Tensor:
    return (scores - scores.mean()) / (scores.std() + 1e-6)


class Trainer:
    def __init__(self, task: GANTask, config: TrainConfig, run_dir: str | Path,
                 device: torch.device, precision: Precision, seed: int = 0,
                 dist: distributed.DistContext = distributed.DistContext(),
                 run_config: dict | None = None, signals: StopSignals | None = None):
        self.task, self.config, self.run_dir = task, config, Path(run_dir)
        self.signals = signals  # SIGINT / SIGTERM: checkpoint after the current step, then stop
        self.device, self.precision, self.dist = device, precision, dist
        self.run_config = run_config or {}
        self.loss = LOSSES[config.loss]
        if (task.discriminator is None) == config.trains_critic:
            raise ValueError("a task builds a critic exactly when its run trains one (train.trains_critic)")
        task.generator.to(device)
        self.G = distributed.wrap(task.generator, dist, device)
        self.D = None
        if task.discriminator is not None:
            task.discriminator.to(device)
            self.D = distributed.wrap(task.discriminator, dist, device)
        self.ema = make_ema(task.generator, config.ema_decay) if config.ema_decay > 0 else None
        self.stream = BatchStream(task.data, config.batch_size, seed, dist.rank, dist.world_size,
                                  pin_memory=device.type == "cuda")
        self.checkpoints = CheckpointManager(self.run_dir, config.keep_checkpoints)
        self.step = 0
        self._overflows = 0
        self.tracker = BestTracker(config.best_metric, config.best_mode, config.patience,
                                   parse_requirement(config.best_requires))
        self.stop_reason: str | None = None  # why fit() ended before max_steps
        self._hooks_ran: dict[str, int] = {}  # hook -> last step it ran at (no repeats at a stop)
        self.last_eval: dict[str, float] = {}
        self.milestones = Milestones(task.milestones)
        self.minutes_before, self._fit_start = 0.0, time.monotonic()  # training time of earlier runs
        self._fakes: list[tuple] = []  # generated batches for the coming critic steps
        # A translation task: the generator translates a real batch's conditions (its sources),
        # and the generator step reuses the last critic step's batch, as Pix2Pix and CycleGAN do.
        self.paired = bool(getattr(task, "paired", False))
        self._paired_batch: tuple | None = None
        if config.reconstruction_weight and not (self.paired and hasattr(task, "reconstruction_loss")):
            raise InputError("train.reconstruction_weight needs a translation task (e.g. task = pix2pix): "
                             "this one has no target to reconstruct")
        self.pool = SamplePool(config.sample_pool)
        # G does not change between two generator steps, so one forward pass can generate the
        # batches of all n_critic critic steps (one large matmul per layer instead of n_critic
        # small ones). Not with BatchNorm: batch statistics over n_critic batches would differ.
        self._fakes_per_pass = 1 if has_batch_norm(task.generator) else config.n_critic
        if config.likelihood_steps or config.likelihood_weight:
            if not hasattr(task.generator, "negative_log_likelihood"):
                raise InputError("train.likelihood_steps and train.likelihood_weight need a generator that "
                                 "scores data (e.g. model.generator = autoregressive)")
            if dist.enabled or config.compile:
                # The likelihood runs on the bare generator: outside DDP's gradient averaging
                # and the compiled update's graph.
                raise InputError("train.likelihood_steps and train.likelihood_weight do not run under "
                                 "distributed training or train.compile")
        self.policy = task.policy if config.policy_steps else None
        if config.policy_steps:
            if self.policy is None or not hasattr(task.generator, "negative_log_likelihood"):
                raise InputError("train.policy_steps needs a task that scores its samples (a reward run) and a "
                                 "generator that scores data (e.g. model.generator = autoregressive)")
            if dist.enabled or config.compile:
                raise InputError("train.policy_steps does not run under distributed training or train.compile")
        self.compiled = config.compile and not dist.enabled
        if config.compile and dist.enabled:
            log.warning("train.compile is ignored under distributed training")
        self._generate, self._score = self.G, self.D
        self.schedule_plan = SchedulePlan(config, distributed=dist.enabled)  # fits the schedule to max_minutes
        self.d_update, self.g_update = self._build_updates()
        # The policy steps' own optimizer: their gradients are of another scale than the
        # likelihood's, and the cosine rate of the steps before them has run out.
        self.p_update = NetworkUpdate(task.generator, None, config.policy_lr, config.betas, lambda step: 1.0,
                                      precision.scaler(), config.grad_clip) if self.policy is not None else None
        self.anchor = PolicyAnchor(config.policy_kl_weight) if self.policy is not None and \
            config.policy_kl_weight > 0 else None

    def _build_updates(self) -> tuple[NetworkUpdate | None, NetworkUpdate]:
        """The critic's (None without a critic) and the generator's updates: eager, or under
        `train.compile` each network's whole update as one compiled graph where that is possible."""
        cfg, task = self.config, self.task
        schedule = lr_factor(cfg, self.schedule_plan.schedule_end)
        if self.D is None:
            g_update = NetworkUpdate(task.generator, None, cfg.lr_g, cfg.betas, schedule,
                                     self.precision.scaler(), cfg.grad_clip)
            return None, g_update
        compiled_critic = compiled_generator = None
        if self.compiled:
            require_cpp_compiler(self.device)
            log.info("train.compile: the first training steps compile the step functions (this takes a while)")
            # Shapes never change during training (full batches only): static graphs.
            self._generate = torch.compile(self.G, dynamic=False)
            self._score = torch.compile(self.D, dynamic=False)
        critic_losses = functools.partial(self._critic_losses_on, self.D)
        generator_losses = functools.partial(self._generator_losses_on, self._generate, self._score)
        if self.compiled and (self.precision.needs_scaler or has_batch_norm(task.discriminator)):
            # fp16's GradScaler wants autograd's backward, and a torch.func transform cannot
            # update running statistics: a compiled forward under autograd.
            critic_losses = torch.compile(critic_losses, dynamic=False)
        elif self.compiled:
            compiled_critic = self._critic_losses_on
            # The generator likewise, when its loss is the adversarial one plus feature
            # matching or mode seeking: the task's objectives may leave the graph (RDKit) or
            # depend on the step number.
            if not (task.objectives or has_batch_norm(task.generator) or cfg.reconstruction_weight):
                def compiled_generator(generate, *inputs):
                    return self._generator_losses_on(generate, self.D, *inputs)
        d_update = NetworkUpdate(task.discriminator, critic_losses, cfg.lr_d, cfg.betas, schedule,
                                 self.precision.scaler(), cfg.grad_clip, compiled_critic)
        g_update = NetworkUpdate(task.generator, generator_losses, cfg.lr_g, cfg.betas, schedule,
                                 self.precision.scaler(), cfg.grad_clip, compiled_generator)
        return d_update, g_update

    def plan(self) -> str:
        """What this run trains, phase by phase, with the losses of each (the start line)."""
        cfg, phases = self.config, self.config.phases()
        parts = []
        if "likelihood" in phases:
            parts.append(f"{phases['likelihood']} likelihood steps")
        if "adversarial" in phases:
            terms = [f"critic by {cfg.loss} ({cfg.n_critic} critic steps each)"]
            terms += [f"{o.name} (weight 1 - λ = {1 - cfg.adversarial_weight:g})" if o.mixed else o.name
                      for o in self.task.objectives]
            terms += [f"{name} {weight:g}" for name, weight in (
                ("feature matching", cfg.feature_matching), ("likelihood", cfg.likelihood_weight),
                ("mode seeking", cfg.mode_seeking), ("reconstruction", cfg.reconstruction_weight)) if weight > 0]
            parts.append(f"{phases['adversarial']} adversarial steps: " + ", ".join(terms))
        elif not cfg.trains_critic:
            parts.append("no critic")
        if "policy" in phases:
            critic = f"the critic's score ({cfg.n_critic} critic steps each)"
            scored = "the task's scores" if not cfg.policy_critic else critic if cfg.policy_critic_weight == 1 else \
                f"λ = {cfg.policy_critic_weight:g} of {critic} and 1 - λ of the task's"
            extras = [f"the first {cfg.policy_critic_warmup} training the critic alone"] \
                if cfg.policy_critic and cfg.policy_critic_warmup else []
            extras += [f"KL to its start priced at β = {cfg.policy_kl_weight:g}"] if cfg.policy_kl_weight > 0 else []
            parts.append(f"{phases['policy']} policy steps on {scored} of its own samples"
                         + "".join(f", {e}" for e in extras))
        return "; ".join(parts)

    def minutes(self) -> float:
        """Training wall-clock minutes, summed over resumed runs."""
        return self.minutes_before + (time.monotonic() - self._fit_start) / 60

    @property
    def sampling_generator(self) -> torch.nn.Module:
        """The generator to sample from: the EMA copy when there is one."""
        return self.ema.module if self.ema is not None else self.task.generator

    def _latent(self, batch: int) -> Tensor:
        return torch.randn(batch, self.task.latent_dim, device=self.device)

    def _check(self, name: str, value: Tensor, scaler: torch.amp.GradScaler) -> bool:
        """True: take the optimizer step; False: skip it. Stops the run when configured to."""
        if bool(torch.isfinite(value)):
            self._overflows = 0
            return True
        if scaler.is_enabled() and self._overflows < MAX_SCALER_OVERFLOWS:
            # fp16 overflow: the GradScaler skips this step and lowers its scale by itself.
            self._overflows += 1
            return True
        message = f"non-finite {name} ({value.item()}) at step {self.step + 1}"
        if self.config.on_nonfinite == "stop":
            raise RunFailure(f"{message}; stopped, the last good checkpoint is kept")
        log.warning("%s; step skipped", message)
        return False

    # ------------------------------------------------------------------ D step
    def critic_step(self, train_objectives: bool = True) -> dict[str, float]:
        cfg, task = self.config, self.task
        real, cond = task.prepare_batch(to_device(next(self.stream), self.device))
        batch = real[0].shape[0]
        if self.paired:
            self._paired_batch = (real, cond)
            fake, fake_cond = self._translated(cond), cond
        else:
            fake, fake_cond = self._next_fake(batch)
        if self.pool.size:
            fake, fake_cond = self._pooled(fake, fake_cond)
        # Drawn here, not inside the (possibly compiled) loss: one random stream either way.
        alpha = torch.rand(batch, device=self.device) if cfg.loss == "wgan-gp" else None
        scaler = self.d_update.scaler
        scale = torch.tensor(scaler.get_scale(), device=self.device) if self.precision.needs_scaler else None
        loss, d_loss, d_real, d_fake, penalty = self.d_update.losses(real, cond, fake, fake_cond, alpha, scale)
        stats = {"d/loss": d_loss.detach(), "d/real": d_real.detach().mean(), "d/fake": d_fake.detach().mean()}
        if penalty is not None:
            stats["d/gp"] = penalty.detach()
        if self._check("discriminator loss", loss.detach(), scaler):
            self.d_update.step(loss)
            if cfg.loss == "wgan":
                with torch.no_grad():
                    for p in task.discriminator.parameters():
                        p.clamp_(-cfg.clip_value, cfg.clip_value)
        if train_objectives:
            for objective in task.objectives:
                stats.update(objective.critic_step(real, fake, self.step, cond, fake_cond))
        return stats

    def _next_fake(self, batch: int) -> tuple[tuple[Tensor, ...], Tensor | None]:
        """A generated batch (and its condition) for one critic step, from G without gradients."""
        if not self._fakes:
            total = batch * self._fakes_per_pass
            cond = self.task.sample_condition(total)
            with torch.no_grad(), self.precision.autocast():
                fake = tuple(t.float() for t in self._generate(self._latent(total), cond=cond))
            self._fakes = [(tuple(t[k:k + batch] for t in fake), None if cond is None else cond[k:k + batch])
                           for k in range(0, total, batch)]
        return self._fakes.pop(0)

    def _translated(self, sources: Tensor) -> tuple[Tensor, ...]:
        """The generator's translation of `sources` (a real batch's conditions), without gradients."""
        with torch.no_grad(), self.precision.autocast():
            return tuple(t.float() for t in self._generate(self._latent(sources.shape[0]), cond=sources))

    def _pooled(self, fake: tuple[Tensor, ...], cond: Tensor | None) -> tuple[tuple[Tensor, ...], Tensor | None]:
        """Half of a generated batch swapped for earlier samples (train.sample_pool), each
        with its own condition."""
        if cond is None:
            return self.pool.query(*fake), None
        *pooled, cond = self.pool.query(*fake, cond)
        return tuple(pooled), cond

    def _critic_losses_on(self, critic, real, cond, fake, fake_cond, alpha, scale):
        """(loss with penalty, loss, D(real), D(fake), penalty) for `critic`: D, or D as a
        function of given parameters. Pure in the trainer's state (no optimizer, no RNG), so
        `train.compile` can hand the whole of it to torch.compile."""
        cfg = self.config
        with self.precision.autocast():
            if cfg.fused_critic:
                # Real and generated samples in one critic pass: half the per-layer overhead.
                # (The penalty keeps its own pass: inside the joint graph, its double backward
                # would run over all three parts and cost more than it saves.)
                conds = None if cond is None else torch.cat([cond, fake_cond])
                scores = critic(*(torch.cat(ts) for ts in zip(real, fake)), cond=conds).float()
                n = scores.shape[0] // 2  # B, or B / pack for a PacGAN critic
                d_real, d_fake = scores[:n], scores[n:]
            else:
                d_real = critic(*real, cond=cond).float()
                d_fake = critic(*fake, cond=fake_cond).float()
            penalty = None if alpha is None else gradient_penalty(
                lambda *x: critic(*x, cond=cond), real, fake, grad_scale=scale, alpha=alpha,
                functional=self.compiled)
            loss = self.loss.d(d_real, d_fake, cfg.label_smoothing)
        total = loss if penalty is None else loss + cfg.gp_weight * penalty
        return total, loss, d_real, d_fake, penalty

    # ------------------------------------------------------------------ likelihood step
    def likelihood_step(self) -> dict[str, float]:
        """One maximum-likelihood step of the generator on a real batch (no critic)."""
        real, cond = self.task.prepare_batch(to_device(next(self.stream), self.device))
        with self.precision.autocast():
            nll = self.task.generator.negative_log_likelihood(*real, cond=cond).float().mean()
        if self._check("generator likelihood", nll.detach(), self.g_update.scaler):
            self.g_update.step(nll)
            if self.ema is not None:
                self.ema.update_parameters(self.task.generator)
        return {"g/loss": nll.detach(), "g/nll": nll.detach()}

    # ------------------------------------------------------------------ policy step
    def policy_step(self) -> dict[str, float]:
        """One REINFORCE step on the generator's own samples, scored by the task."""
        cfg, generator = self.config, self.task.generator
        if self.step == cfg.policy_start and self.ema is not None:
            # The policy starts from the averaged generator, the one evaluations sampled.
            generator.load_state_dict(self.ema.module.state_dict())
        if self.anchor is not None and self.anchor.module is None:
            self.anchor.start(generator)
        stats = {}
        if cfg.policy_critic:
            for k in range(cfg.n_critic):
                stats = self.critic_step(train_objectives=False)
            if self.step < cfg.policy_start + cfg.policy_critic_warmup:
                return stats  # the critic learns first; the generator waits
        graphs, cond, scores, policy_stats = self.policy.sample(generator, cfg.policy_batch_size or cfg.batch_size,
                                                                self.device)
        stats.update(policy_stats)
        # Standardised scores: the step size does not depend on the reward's scale.
        advantage = _standardised(scores)
        if cfg.policy_critic:
            with torch.no_grad(), self.precision.autocast():
                judged = self.task.discriminator(*self.task.critic_inputs(graphs), cond=cond).float().view(-1)
            stats["policy/critic"] = judged.mean().detach()
            lam = cfg.policy_critic_weight
            advantage = _standardised(lam * _standardised(judged) + (1 - lam) * advantage)
        with self.precision.autocast():
            log_prob = -generator.negative_log_likelihood(*graphs, cond=cond).float()
        if self.anchor is not None:  # nats of divergence from the policy's start, priced
            divergence = self.anchor.divergence(graphs, cond, log_prob)
            stats["policy/kl"] = divergence.mean()
            advantage = _standardised(advantage - self.anchor.weight * divergence.to(advantage.device))
        loss = -(advantage * log_prob).mean()
        if self._check("policy loss", loss.detach(), self.p_update.scaler):
            self.p_update.step(loss)
            if self.ema is not None:
                # Evaluations sample the policy itself: an average over its steps would lag behind.
                self.ema.module.load_state_dict(generator.state_dict())
        return {"g/loss": loss.detach(), **stats}

    # ------------------------------------------------------------------ G step
    def generator_step(self) -> dict[str, float]:
        cfg, task = self.config, self.task
        batch = cfg.batch_size
        if self.paired:  # the sources (and targets) of the last critic step's batch
            real = self._paired_batch or task.prepare_batch(to_device(next(self.stream), self.device))
            self._paired_batch, cond = None, real[1]
        else:
            cond = task.sample_condition(batch)
            needs_real = cfg.feature_matching > 0 or cfg.likelihood_weight > 0
            real = task.prepare_batch(to_device(next(self.stream), self.device)) if needs_real else None
        z = self._latent(batch)
        # D's gradients from this pass are not used: under DDP skip their all-reduce; on one
        # process do not compute them at all (DDP expects every parameter to get one).
        no_grads = contextlib.nullcontext() if self.dist.enabled else frozen(task.discriminator)
        no_sync = self.D.no_sync() if self.dist.enabled else contextlib.nullcontext()
        with no_grads, no_sync:
            loss, adversarial = self.g_update.losses(z, cond, real)
        stats = {"g/loss": loss.detach(), "g/adversarial": adversarial.detach()}
        if self._check("generator loss", loss.detach(), self.g_update.scaler):
            self.g_update.step(loss)
            if self.ema is not None:
                self.ema.update_parameters(task.generator)
        self._fakes.clear()  # made by the generator before this step
        return stats

    def _generator_losses_on(self, generate, score, z, cond, real) -> tuple[Tensor, Tensor]:
        """(loss, adversarial loss) of a generator step through `generate` (G, or G as a
        function of given parameters) and the critic `score`; `real`: (batch, condition)
        for feature matching and the likelihood term, or None."""
        terms, adversarial = self._generator_terms(generate, score, z, cond, real)
        return sum_in_order(terms.values()), adversarial

    def _generator_terms(self, generate, score, z, cond, real) -> tuple[dict[str, Tensor], Tensor]:
        """The weighted terms of the generator's loss by name, and the adversarial loss."""
        cfg = self.config
        with self.precision.autocast():
            fake = tuple(t.float() for t in generate(z, cond=cond))
            matching = real is not None and cfg.feature_matching > 0
            if matching:
                (real_graphs, real_cond) = real
                d_fake, fake_features = score(*fake, cond=cond, features=True)
                with torch.no_grad():
                    _, real_features = score(*real_graphs, cond=real_cond, features=True)
            else:
                d_fake = score(*fake, cond=cond)
            adversarial = self.loss.g(d_fake.float())
            # Objectives marked `mixed` share the generator with the adversarial loss through λ
            # (MolGAN's RL term); the others are regularisers added with their own weight.
            mixed, added = {}, {}
            for objective in self.task.objectives:
                value = objective.generator_loss(fake, self.step, cond)
                if value is not None:
                    (mixed if objective.mixed else added)[objective.name] = value
            terms = {**mixed_loss_terms(adversarial, mixed, cfg.adversarial_weight, cfg.normalize_extra), **added}
            if matching:
                fm = feature_matching_loss(real_features.float(), fake_features.float())
                terms["feature_matching"] = cfg.feature_matching * fm
            if real is not None and cfg.likelihood_weight > 0:
                nll = self.task.generator.negative_log_likelihood(*real[0], cond=real[1]).float().mean()
                terms["likelihood"] = cfg.likelihood_weight * nll
            if cfg.mode_seeking > 0:
                terms["mode_seeking"] = cfg.mode_seeking * mode_seeking_loss(fake, z)
            if cfg.reconstruction_weight > 0:
                terms["reconstruction"] = cfg.reconstruction_weight * self.task.reconstruction_loss(fake, *real)
        return terms, adversarial

    def generator_gradient_norms(self) -> dict[str, float]:
        """The norm of each generator-loss term's gradient on the generator's parameters, on
        the first rows of the data (which term drives the generator, and how hard). Leaves
        the training untouched: no data-stream position is used, and the unwrapped networks
        run (a DDP forward would wait for the other processes)."""
        cfg, task = self.config, self.task
        rows = task.data.__getitems__(list(range(min(cfg.batch_size, len(task.data)))))
        needs_real = cfg.feature_matching > 0 or cfg.likelihood_weight > 0 or self.paired
        real = task.prepare_batch(to_device(rows, self.device)) if needs_real else None
        z = self._latent(len(rows[0]))  # before the conditions: the order the random stream was drawn in
        cond = real[1] if self.paired else task.sample_condition(len(rows[0]))
        with frozen(task.discriminator):
            terms, _ = self._generator_terms(task.generator, task.discriminator, z, cond, real)
            params = [p for p in task.generator.parameters() if p.requires_grad]
            norms = {}
            for name, term in terms.items():
                grads = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
                norms[name] = float(torch.sqrt(sum((g.float() ** 2).sum() for g in grads if g is not None)))
        return norms

    # ------------------------------------------------------------------ loop
    def fit(self, until: int | None = None) -> dict[str, float]:
        """Train to `config.max_steps` (or stop after step `until`); return the last evaluation."""
        cfg, main = self.config, self.dist.is_main
        last_step = min(until or cfg.max_steps, cfg.max_steps)
        metrics = MetricsLog(self.run_dir, enabled=main, resume_step=self.step if self.step else None)
        bar = tqdm(total=cfg.max_steps, initial=self.step, desc="training", unit="step",
                   disable=None if main else True, dynamic_ncols=True)
        start, sums, count, first_step = time.monotonic(), {}, 0, self.step
        self._fit_start, self.stop_reason = start, None
        try:
            while self.step < last_step:
                self.stop_reason = self._stop_reason(start)
                if self.stop_reason:
                    log.info("stopping at step %d: %s", self.step, self.stop_reason)
                    break
                if self.step < cfg.likelihood_steps:
                    stats = self.likelihood_step()
                elif self.step >= cfg.policy_start:
                    stats = self.policy_step()
                else:
                    for k in range(cfg.n_critic):
                        # Extra objectives (a reward network) train once per generator step.
                        stats = self.critic_step(train_objectives=k == cfg.n_critic - 1)
                    stats.update(self.generator_step())
                with warnings.catch_warnings():
                    # A skipped step (non-finite loss, GradScaler backing off) steps the
                    # schedule without an optimizer step: intended, not a mistake.
                    warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
                    self.g_update.schedule.step()
                    if self.d_update is not None:
                        self.d_update.schedule.step()
                self.step += 1
                bar.update(1)
                for k, v in stats.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                count += 1
                if self.step % cfg.log_every == 0 or self.step == cfg.max_steps:
                    self.schedule_plan.update(self.step, self.step - first_step, time.monotonic() - start)
                    means = {k: v / count for k, v in sums.items()}
                    bar.set_postfix({k[0]: f"{means[k]:.3g}" for k in ("d/loss", "g/loss") if k in means})
                    metrics.log(self.step, {**means, "time/minutes": self.minutes()})
                    sums, count = {}, 0
                self._on_cadence(metrics, final=self.step == cfg.max_steps)
            if self.signals is not None and self.signals.received:
                self._save_and_raise_interrupted(metrics)
            if self.stop_reason:
                self._on_cadence(metrics, final=True)  # whatever this step has not had yet
            return self.last_eval
        finally:
            bar.close()
            metrics.close()

    def _stop_reason(self, start: float) -> str | None:
        """Why training should end now (time budget, patience), agreed by all processes."""
        cfg, reason = self.config, None
        if self.signals is not None and self.signals.received:
            reason = f"interrupted by {self.signals.name}"
        elif cfg.max_minutes and time.monotonic() - start > 60 * cfg.max_minutes:
            reason = f"time budget of {cfg.max_minutes:g} min reached"
        elif self.schedule_plan.complete(self.step):
            reason = f"the learning-rate schedule fitted to the {cfg.max_minutes:g}-minute budget is complete"
        else:
            reason = self.tracker.stop_reason()
        # Only rank 0 evaluates, and clocks differ: every replica must stop at the same step.
        if distributed.any_rank(self.dist, reason is not None, self.device) and reason is None:
            reason = "another process stopped"
        return reason

    def _save_and_raise_interrupted(self, metrics: MetricsLog) -> None:
        """A checkpoint of the last finished step (no evaluation: the job may have seconds
        left), then `Interrupted`; `--resume` continues from it exactly."""
        if self.dist.is_main:
            if self._hooks_ran.get("checkpoint") != self.step:
                self.checkpoints.save(self.state_dict(), self.step)
                self._hooks_ran["checkpoint"] = self.step
            metrics.flush()
        distributed.barrier(self.dist)
        path = self.checkpoints.path(self.step)
        raise Interrupted(self.signals.received,
                          f"interrupted by {self.signals.name} after step {self.step}; checkpoint {path} "
                          "written, --resume continues from it")

    def _on_cadence(self, metrics: MetricsLog, final: bool) -> None:
        cfg, step = self.config, self.step
        if not self.dist.is_main:
            return
        is_best = False
        every = cfg.policy_eval_every if cfg.policy_eval_every and step > cfg.policy_start else cfg.eval_every
        evaluate_now = (final or step % every == 0) and self._hooks_ran.get("evaluate") != step
        sample_now = (final or step % cfg.sample_every == 0) and self._hooks_ran.get("samples") != step
        if evaluate_now or sample_now:
            is_best = self._run_hooks(metrics, step, evaluate_now, sample_now)
        if (final or is_best or step % cfg.checkpoint_every == 0) and self._hooks_ran.get("checkpoint") != step:
            self.checkpoints.save(self.state_dict(), step, is_best=is_best)
            self._hooks_ran["checkpoint"] = step
        metrics.flush()

    def _run_hooks(self, metrics: MetricsLog, step: int, evaluate_now: bool, sample_now: bool) -> bool:
        """Evaluate and/or write samples; True if this evaluation is the best so far."""
        is_best = False
        # Hooks draw from their own fixed-seed RNG: the training stream is unchanged by
        # evaluating (so resumed runs match), and every evaluation sees the same latents.
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(EVAL_SEED)
            if evaluate_now:
                self.last_eval = self.task.evaluate(self.sampling_generator, step)
                # Which term drives the generator, for runs with adversarial steps (not with
                # batch norm: a forward would move its running statistics).
                if self.D is not None and not has_batch_norm(self.task.generator):
                    self.last_eval.update({f"g_grad/{k}": v for k, v in self.generator_gradient_norms().items()})
                metrics.log(step, self.last_eval)
                # Names with a "/" are diagnostics: in metrics.csv and TensorBoard, not the console.
                shown = {k: v for k, v in self.last_eval.items() if "/" not in k}
                if shown:
                    log.info("step %d: %s", step, ", ".join(f"{k} {v:.4g}" for k, v in shown.items()))
                for name in self.milestones.update(self.last_eval, step, self.minutes()):
                    log.info("first reached %s at step %d, after %.1f min", name, step, self.minutes())
                is_best = self.tracker.observe(self.last_eval, step)
                self._hooks_ran["evaluate"] = step
            if sample_now:
                self.task.write_samples(self.sampling_generator, self.run_dir, step)
                self._hooks_ran["samples"] = step
        return is_best

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {
            "step": self.step,
            "generator": self.task.generator.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "objectives": {o.name: o.state_dict() for o in self.task.objectives},
            "opt_g": self.g_update.optimizer.state_dict(), "sched_g": self.g_update.schedule.state_dict(),
            "scaler_g": self.g_update.scaler.state_dict(),
            # None without a critic (a run of likelihood and policy steps only)
            "discriminator": None if self.D is None else self.task.discriminator.state_dict(),
            "opt_d": None if self.D is None else self.d_update.optimizer.state_dict(),
            "sched_d": None if self.D is None else self.d_update.schedule.state_dict(),
            "scaler_d": None if self.D is None else self.d_update.scaler.state_dict(),
            **({"policy": {"update": self.p_update.state_dict(), "scores": self.policy.state_dict(),
                           **({"anchor": self.anchor.state_dict()} if self.anchor is not None else {})}}
               if self.policy is not None else {}),
            "data": self.stream.state(), "rng": rng_state(),
            **({"sample_pool": self.pool.state_dict()} if self.pool.size else {}),
            **self.tracker.state_dict(),
            "last_eval": self.last_eval, "schedule_plan": self.schedule_plan.state_dict(),
            "milestones": self.milestones.reached, "minutes": self.minutes(),
            "task": self.task.describe(), "config": self.run_config,
            "data_source": self.task.data_source,
        }

    def load_state_dict(self, state: dict) -> None:
        # Keys an earlier version described its task by, which this one no longer writes.
        retired = getattr(self.task, "retired_description", ())
        unrecorded = getattr(self.task, "unrecorded_description", ())
        saved = {k: v for k, v in (state.get("task") or {}).items() if k not in retired}
        mine = self.task.describe()
        mine.update({k: None for k in unrecorded if k in saved and saved[k] is None})
        if saved != mine:
            raise InputError("incompatible checkpoint: it was made for another model or dataset "
                             f"({state.get('task')} vs {mine})")
        self.task.generator.load_state_dict(state["generator"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        for objective in self.task.objectives:  # one new to this run (it gets adversarial steps) starts fresh
            if objective.name in state["objectives"]:
                objective.load_state_dict(state["objectives"][objective.name])
        updates = [(self.g_update, "g")]
        # A critic is restored when both have one. A run that had none and now gets adversarial
        # steps (more --max-steps) starts its critic fresh; a critic saved by a run that never
        # trained it (older checkpoints of likelihood-only runs) is left out.
        if self.D is not None and state.get("discriminator") is not None:
            self.task.discriminator.load_state_dict(state["discriminator"])
            updates.append((self.d_update, "d"))
        for update, suffix in updates:
            update.load_state_dict({"optimizer": state[f"opt_{suffix}"], "schedule": state[f"sched_{suffix}"],
                                    "scaler": state[f"scaler_{suffix}"]})
        if self.policy is not None and "policy" in state:
            self.p_update.load_state_dict(state["policy"]["update"])
            self.policy.load_state_dict(state["policy"]["scores"])
            if self.anchor is not None:
                self.anchor.load_state_dict(state["policy"].get("anchor"), self.task.generator)
        self.stream.load_state(state["data"])
        if self.pool.size and "sample_pool" in state:
            self.pool.load_state_dict(state["sample_pool"], self.device)
        set_rng_state(state["rng"])
        self.step, self.last_eval = state["step"], state["last_eval"]
        self.tracker.load_state_dict(state)
        self.schedule_plan.load_state_dict(state.get("schedule_plan"))
        # The checkpoint is this step's record: a run that stops at once adds nothing to it.
        self._hooks_ran = dict.fromkeys(("evaluate", "samples", "checkpoint"), self.step)
        self._fakes.clear()
        self.milestones.reached = dict(state.get("milestones") or {})
        self.minutes_before = float(state.get("minutes", 0.0))
