"""MolGAN as a task for the shared trainer: models, data, reward objective, evaluation."""
from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.core.atomic import atomic_write
from molgan.core.data import TensorData
from molgan.mol.conditioning import REWARD_CONDITION, PropertyScale, training_properties
from molgan.mol.config import MolRunConfig
from molgan.mol.data.dataset import MolGraphDataset
from molgan.mol.decoding.decode import decode_logits, kekule_roles, max_valences, same_as_raw
from molgan.mol.diagnostics import critic_statistics, graph_statistics
from molgan.mol.losses.condition import PropertyRegression
from molgan.mol.losses.marginals import MarginalMatching
from molgan.mol.metrics.basic import FCDScorer, basic_metrics
from molgan.mol.nn.build import build_models
from molgan.mol.nn.models import GraphCritic
from molgan.mol.rewards.functions import RewardFunction
from molgan.mol.rewards.pharmacophore import read_reference
from molgan.mol.rewards.objective import RewardObjective
from molgan.mol.rewards.policy import RepeatPricedReward
from molgan.mol.rewards.tilt import describe_tilt, tilted_rows, training_rewards
from molgan.mol.sampling import sample_logits

log = logging.getLogger(__name__)


class MolTask:
    def __init__(self, train: MolGraphDataset, valid_smiles: list[str], config: MolRunConfig,
                 device: torch.device, valid: MolGraphDataset | None = None):
        self.config, self.device = config, device
        self.data_source: dict = {}
        self.vocab = train.info.vocab
        self.max_atoms, self.atom_types = train.info.max_atoms, len(self.vocab)
        self.bond_types = train.info.bond_type_count
        adversarial = config.train.adversarial_steps > 0  # else no generator-loss terms
        self.generator, self.discriminator = build_models(config.model, self.max_atoms, self.atom_types,
                                                          max_valences(self.vocab).tolist(), self.bond_types,
                                                          kekule_roles(self.vocab).tolist(),
                                                          len(config.condition_names),
                                                          critic=config.train.trains_critic)
        self.latent_dim = self.generator.latent_dim
        # Conditioned runs: each training molecule's normalised properties (or its reward), a
        # third data column.
        self.scale: PropertyScale | None = None
        self.conditions: Tensor | None = None
        self.aim: float | None = None  # a reward-conditioned run asks for rewards above this quantile
        columns = [train.atom_types, train.bond_types]
        rewards = None
        if config.reward_conditioned or config.rl.tilt > 0:
            rewards = training_rewards(train.smiles, config.rl.reward, train.processed_dir)
        if config.condition_names:
            names = config.condition_names
            values = rewards[:, None] if config.reward_conditioned else \
                training_properties(train.smiles, names, train.processed_dir)
            self.scale = PropertyScale.fit(names, values)
            self.conditions = self.scale.normalize(values)
            columns.append(self.conditions)
            log.info("conditioned on %s", ", ".join(f"{n} ({lo:.3g} to {hi:.3g})" for n, lo, hi in zip(
                self.scale.names, self.scale.low, self.scale.high)))
        if config.reward_conditioned:
            self.aim = config.rl.aim
            log.info("sampling asks for rewards %s of the training molecules' top %g %% (%.3g to %.3g)",
                     config.rl.reward, 100 * (1 - self.aim), float(torch.quantile(rewards.double(), self.aim)),
                     float(rewards.max()))
        if config.rl.tilt > 0:  # real molecules drawn towards the reward (molgan/mol/rewards/tilt.py)
            rows = tilted_rows(rewards, config.rl.tilt)
            log.info(describe_tilt(rewards, rows, config.rl.tilt))
            columns = [column[rows] for column in columns]
        self.data = TensorData(*columns)
        self.known = frozenset(train.smiles)
        self.objectives: list = []  # terms of the adversarial steps' generator loss
        m = config.model
        if adversarial and m.marginal_matching > 0:
            # the marginals of the data the critic sees (tilted, for a tilted run)
            self.objectives.append(MarginalMatching(columns[1], columns[0], self.bond_types,
                                                    self.atom_types, m.marginal_matching, device))
        if adversarial and config.model.condition and m.condition_weight > 0:
            regressor = GraphCritic(self.atom_types, self.bond_types, m.conv_dims, m.readout_dim, m.head_dims,
                                    valence_feature=m.valence_feature, ring_feature=m.ring_feature,
                                    outputs=len(m.condition)).to(device)
            self.objectives.append(PropertyRegression(regressor, m.condition_weight, m.condition_lr,
                                                      (train.atom_types, train.bond_types, self.conditions),
                                                      m.condition_pretrain_steps, score=self._fake_conditions))
        self.reward: RewardFunction | None = None  # what the run aims at, scored at every evaluation
        if adversarial and config.train.adversarial_weight < 1.0:
            objective = RewardObjective(self.vocab, self.known, config.model, config.rl, device, self.bond_types)
            self.objectives.append(objective)
            self.reward = objective.reward
        elif config.rl.reward != type(config.rl).reward:
            reference = read_reference(config.rl.reference) if config.rl.reference else ()
            if reference:
                log.info("reward %s: the pharmacophore term compares with %d reference ligands of %s",
                         config.rdkit_reward, len(reference), config.rl.reference)
            self.reward = RewardFunction(config.rdkit_reward, self.known, reference)
        self.docking = None  # the reward's docking term (molgan/mol/rewards/docking.py)
        if config.docking_target is not None:
            from molgan.mol.data.options import default_data_dir
            from molgan.mol.rewards.docking_term import build_docking_term

            cache = Path(config.data.data_dir or default_data_dir()) / "docking.sqlite"
            self.docking = build_docking_term(config.docking_target, config.dock, self.atom_types, self.bond_types,
                                              device, cache, seed=torch.initial_seed())
        self.policy: RepeatPricedReward | None = None  # scores the policy steps' samples
        if config.train.policy_steps:  # a reward run, or one that climbs the critic alone (no reward)
            self.policy = RepeatPricedReward(self.reward, self.vocab, config.rl.repeat_price, config.rl.memory,
                                             self._conditions, docking=self.docking)
        # Fixed molecules on which the critic is watched at every evaluation.
        self._watched_train = _fixed_subset(train, config.eval.samples)
        self._watched_valid = _fixed_subset(valid, config.eval.samples) if valid is not None else None
        self.fcd = None
        if config.eval.fcd:
            cache = Path(train.processed_dir) / "fcd_valid_stats.pt"
            self.fcd = FCDScorer(valid_smiles, cache=cache)

    def prepare_batch(self, batch: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], Tensor | None]:
        atoms, bonds, *conditions = batch
        return (F.one_hot(bonds.long(), self.bond_types).float(),
                F.one_hot(atoms.long(), self.atom_types).float()), (conditions[0] if conditions else None)

    def critic_inputs(self, graphs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        """Sampled graphs (bonds (B, N, N), atoms (B, N) indices) one-hot, as the critic reads them."""
        bonds, atoms = graphs
        return (F.one_hot(bonds.long(), self.bond_types).float(), F.one_hot(atoms.long(), self.atom_types).float())

    def sample_condition(self, batch_size: int) -> Tensor | None:
        """Conditions for generated batches: training molecules' properties, drawn at random
        (so generated and real batches ask for the same distribution)."""
        if self.conditions is None:
            return None
        conditions = self.data.tensors[2]  # the real batches' rows: tilted, for a tilted run
        rows = torch.randint(len(conditions), (batch_size,))
        return conditions[rows].to(self.device)

    def _fake_conditions(self, fake: tuple[Tensor, Tensor]) -> Tensor:
        """(B, C) normalised RDKit properties of generated graphs (NaN rows: no molecule)."""
        from molgan.mol.chem.properties import smiles_properties

        smiles = [d.smiles for d in decode_logits(*fake, self.vocab, "raw")]
        return self.scale.normalize(torch.tensor(smiles_properties(smiles, self.scale.names), dtype=torch.float64))

    def _conditions(self, count: int) -> Tensor | None:
        """Conditions to sample `count` molecules with (None for an unconditional run): a
        reward-conditioned run's ask for rewards above its aim."""
        if self.aim is not None:
            return self.scale.upper_conditions(REWARD_CONDITION, self.aim, count).to(self.device)
        return self.sample_condition(count)

    def _sample_logits(self, generator: nn.Module, count: int) -> tuple[Tensor, Tensor, Tensor | None]:
        """Bond and atom logits of `count` samples at the evaluation latent scale, and their
        conditions (`_conditions`)."""
        cond = self._conditions(count)
        bonds, atoms = sample_logits(generator, count, self.device, latent_scale=self.config.eval.latent_scale,
                                     conditions=cond)
        return bonds, atoms, cond

    #: Time-to-quality, logged by the trainer and kept in summary.json.
    milestones = {"validity>=0.9,uniqueness>=0.9": {"validity": 0.9, "uniqueness": 0.9},
                  "raw_validity>=0.9,raw_uniqueness>=0.9": {"raw_validity": 0.9, "raw_uniqueness": 0.9}}

    def evaluate(self, generator: nn.Module, step: int) -> dict[str, float]:
        bonds, atoms, cond = self._sample_logits(generator, self.config.eval.samples)
        post = self.generator.post
        delivered = self._decode(bonds, atoms, self.config.eval.decode)
        raw = delivered if same_as_raw(self.config.eval.decode, post) else self._decode(bonds, atoms, "raw")
        metrics = {f"raw_{k}": v for k, v in basic_metrics(raw, self.known).items()}
        if post == "st-valence":  # how far the logits' own argmax is from the output layer's graph
            argmax = [d.smiles for d in decode_logits(bonds, atoms, self.vocab, "argmax")]
            metrics["argmax_validity"] = basic_metrics(argmax, self.known)["validity"]
        metrics.update(basic_metrics(delivered, self.known))
        if self.fcd is not None:
            metrics["fcd"] = self.fcd(delivered)
        if self.scale is not None and self.aim is None:
            metrics.update(condition_errors(delivered, cond, self.scale))
        if self.reward is not None:  # what the run asks for, on the delivered molecules
            reward = torch.as_tensor(self.reward(delivered), dtype=torch.float32)
            if self.docking is not None:  # as predicted (or docked): evaluations dock nothing
                factor, scores = self.docking.value(delivered, bonds.argmax(-1), atoms.argmax(-1))
                reward = reward * factor
                valid = torch.tensor([s is not None for s in delivered])
                metrics["dock/predicted"] = float(scores[valid].mean()) if valid.any() else float("nan")
                metrics.update(self.docking.progress())
            metrics["reward"] = float(reward.mean())
        if self.config.eval.uniqueness_samples:
            metrics.update(self._uniqueness(generator, self.config.eval.uniqueness_samples))
        metrics.update({f"diag/{k}": v for k, v in graph_statistics(bonds, atoms).items()})
        # A PacGAN critic scores packs, not molecules; a conditioned one a molecule with its
        # properties, which the watched molecules are not given.
        if self.discriminator is not None and self.config.model.pack == 1 and self.scale is None:
            fake = generator.graphs(bonds, atoms)  # what the critic is trained on
            metrics.update({f"diag/{k}": v for k, v in critic_statistics(
                self.discriminator, self._watched_train, self._watched_valid, fake, [bool(s) for s in raw],
                self.config.train.batch_size).items()})
        return metrics

    def _uniqueness(self, generator: nn.Module, count: int) -> dict[str, float]:
        """{"unique@count": the distinct share of `count` more delivered samples}."""
        bonds, atoms, _ = self._sample_logits(generator, count)
        smiles = self._decode(bonds, atoms, self.config.eval.decode)
        return {f"unique@{count}": basic_metrics(smiles, self.known)["uniqueness"]}

    def _decode(self, bonds: Tensor, atoms: Tensor, mode: str) -> list[str | None]:
        """SMILES (None if invalid) of logits decoded with `mode` and the generator's output layer."""
        return [d.smiles for d in decode_logits(bonds, atoms, self.vocab, mode, self.generator.post)]

    def write_samples(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        from rdkit import Chem
        from rdkit.Chem import Draw

        bonds, atoms, _ = self._sample_logits(generator, 200)
        smiles = self._decode(bonds, atoms, self.config.eval.decode)
        folder = Path(run_dir) / "samples"
        for name in (f"step-{step:07d}.smi", "latest.smi"):
            with atomic_write(folder / name) as handle:
                handle.write("".join(f"{s or ''}\n" for s in smiles))
        unique = list(dict.fromkeys(s for s in smiles if s))[: self.config.eval.grid_molecules]
        shown = [Chem.MolFromSmiles(s) for s in unique]
        if shown:
            image = Draw.MolsToGridImage(shown, molsPerRow=6, subImgSize=(200, 160))
            with atomic_write(folder / "latest.png", "wb") as handle:
                image.save(handle, format="PNG")

    def summary(self) -> str:
        m = self.config.model
        kind = ("the autoregressive generator" if m.generator == "autoregressive" else
                "MolGAN's generator through its valence-aware output layer" if m.post == "st-valence" else
                "MolGAN's generator (each pair's argmax)")
        if self.scale is not None:
            kind += f", conditioned on {', '.join(self.scale.names)}"
        return kind

    #: Keys of `describe` that checkpoints of earlier versions hold and this one no longer
    #: writes (the bond-type counts of the retired decoding calibration); not compared on resume.
    retired_description = ("bond_counts",)
    #: Keys that checkpoints of likelihood-only runs of one earlier version hold as None
    #: (no reward recorded without a critic); compared only when recorded.
    unrecorded_description = ("reward",)

    def describe(self) -> dict:
        m = self.config.model
        return {"domain": "molecule", "atom_types": self.vocab.names(), "max_atoms": self.max_atoms,
                "bond_types": self.bond_types,
                "latent_dim": self.latent_dim, "generator_dims": list(m.generator_dims),
                "conv_dims": list(m.conv_dims), "readout_dim": m.readout_dim, "head_dims": list(m.head_dims),
                "valence_feature": m.valence_feature, "minibatch_std": m.minibatch_std, "pack": m.pack,
                "minibatch_discrimination": m.minibatch_discrimination,
                "reward": self.config.rl.reward,
                **({"reward_aim": self.aim} if self.aim is not None else {}),  # a quantile
                # only when on: checkpoints from before the option stay resumable
                **({"ring_feature": True} if m.ring_feature else {}),
                **({"condition": self.scale.to_dict()} if self.scale is not None else {})}


def condition_errors(smiles: list[str | None], cond: Tensor, scale: PropertyScale) -> dict[str, float]:
    """{"condition_mae/NAME": mean |property - asked-for value| over the valid molecules}:
    RDKit's values of the molecules against the conditions they were generated for; and
    "condition_error", their mean in units of each property's standard deviation."""
    from molgan.mol.chem.properties import smiles_properties

    valid = [k for k, s in enumerate(smiles) if s]
    if not valid:
        return {f"condition_mae/{name}": float("nan") for name in scale.names}
    got = torch.tensor(smiles_properties([smiles[k] for k in valid], scale.names), dtype=torch.float64)
    errors = (got - scale.denormalize(cond)[valid]).abs().mean(0)
    metrics = {f"condition_mae/{name}": float(e) for name, e in zip(scale.names, errors)}
    # One figure for checkpoint choice: the distances in units of each property's spread.
    metrics["condition_error"] = float((errors / torch.tensor(scale.std, dtype=torch.float64)).mean())
    return metrics


def _fixed_subset(dataset: MolGraphDataset, count: int) -> tuple[Tensor, Tensor]:
    """(bonds, atoms) index tensors of `count` molecules of `dataset`, the same every time."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:count]
    return dataset.bond_types[order], dataset.atom_types[order]


def build_mol_task(config: MolRunConfig, device: torch.device, progress: bool = True) -> MolTask:
    """The task of `config.data`'s molecules, building the dataset cache on first use."""
    from molgan.mol.data.dataset import MIN_TRAIN_MOLECULES, open_mol_dataset

    config.check_docking()
    data, options = config.data, config.data.options()
    train = open_mol_dataset(data.dataset, options, data.data_dir, "train", progress=progress,
                             min_train=MIN_TRAIN_MOLECULES)
    valid = open_mol_dataset(data.dataset, options, data.data_dir, "valid", progress=False, report_skips=False)
    log.info("%s: %d training molecules, up to %d atoms of %s", train.info.source, len(train),
             train.info.max_atoms, ", ".join(train.info.atom_types))
    reference = valid.smiles if len(valid) >= 2 else train.smiles
    task = MolTask(train, reference, config, device, valid=valid)
    task.data_source = {"dataset": data.dataset, "cache": str(Path(train.root).resolve())}
    if config.model.init:
        from molgan.mol.prior import apply_init

        apply_init(task, config.model.init)
    return task
