"""MolGAN as a task for the shared trainer: models, data, reward objective, evaluation."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.core.atomic import atomic_write
from molgan.core.data import TensorData
from molgan.core.task import GeneratorRegularizer
from molgan.core.train_config import TrainConfig
from molgan.errors import InputError
from molgan.mol.calibration import bond_type_indices, data_bond_counts, generator_bond_bias
from molgan.mol.dataset import MolGraphDataset
from molgan.mol.decode import decode_logits
from molgan.mol.metrics import FCDScorer, basic_metrics
from molgan.mol.models import GraphCritic, MolGenerator, PostProcess
from molgan.mol.rewards import RewardFunction
from molgan.mol.vocab import BOND_NAMES

log = logging.getLogger(__name__)


@dataclass
class MolModelConfig:
    latent_dim: int = 32
    generator_dims: tuple[int, ...] = (128, 256, 512)
    post: PostProcess = "st-argmax"
    temperature: float = 1.0
    conv_dims: tuple[int, ...] = (128, 64)
    readout_dim: int = 128
    head_dims: tuple[int, ...] = (128, 64)
    dropout: float = 0.0
    valence_feature: bool = True  # summed bond order per atom as a critic input
    minibatch_std: bool = True  # lets the critic see a collapsed batch
    minibatch_discrimination: bool = False  # Salimans et al.; replaces minibatch_std when on
    pack: int = 1  # PacGAN: the critic scores packs of this many graphs
    valence_penalty: float = 1.0  # weight of the differentiable valence constraint on G
    connectivity_penalty: float = 0.0  # one-fragment constraint; measured harmful, see README


@dataclass
class MolRLConfig:
    reward: str = "validity"  # product of: validity, qed, logp, sa, uniqueness, novelty
    warmup_steps: int = 0  # generator steps before the reward term switches on
    lr: float = 1e-4


@dataclass
class MolEvalConfig:
    samples: int = 1000  # generated per evaluation
    fcd: bool = True  # FCD against the validation split (fcd_torch, no download)
    # Measured (README): connected keeps every generated atom, so far more distinct molecules
    # than capped (which keeps the largest fragment) at a similar FCD.
    decode: Literal["raw", "capped", "connected"] = "connected"
    # Spread of the latent noise when sampling (z ~ N(0, s^2 I)), for evaluation and as
    # `molgan sample`'s default. Chosen on the validation split (README): the default
    # model's samples are too concentrated at 1.0; 1.5 gave the lowest FCD over two seeds.
    latent_scale: float = 1.5
    # Delivered decoding only: logit offsets for these bond types so that decoded molecules
    # have as many of them per molecule as the training data (molgan/mol/calibration.py;
    # measured in the README: validation FCD 3.03 -> 2.24 in session 4's form). () = off.
    calibrate_bonds: tuple[str, ...] = ("double", "triple")
    grid_molecules: int = 24

    def __post_init__(self):
        check_latent_scale(self.latent_scale, "eval.latent_scale")
        try:
            bond_type_indices(self.calibrate_bonds)
        except ValueError as exc:
            raise InputError(f"eval.calibrate_bonds: {exc}") from None
        if self.samples < 2:
            raise InputError(f"eval.samples must be at least 2, got {self.samples}")


def check_latent_scale(value: float, name: str) -> None:
    if not 0 < value < 100:
        raise InputError(f"{name} must be positive (and below 100), got {value}")


def _mol_train_defaults() -> TrainConfig:
    # Measured (README ablations): constant-rate runs peak within ~1,000 steps and then
    # degrade; a cosine decay over 3,000 steps holds the quality. MolGAN's mix with a
    # validity reward (lambda 0.5) gave raw validity 40 % instead of 29 % and the lowest FCD.
    # Feature matching: test FCD 3.62 / 3.73 over two seeds, against 3.89 / 4.88 without.
    # Patience 4 (1,000 steps): in every default run so far the best validation FCD came by
    # step 1,000 and never improved later, so the rest of the 3,000 steps was wasted time.
    return TrainConfig(loss="wgan-gp", n_critic=5, batch_size=32, max_steps=3000, lr_g=1e-4, lr_d=1e-4,
                       lr_schedule="cosine", eval_every=250, sample_every=250, checkpoint_every=250,
                       best_metric="fcd", adversarial_weight=0.5, feature_matching=1.0, patience=4)


@dataclass
class MolRunConfig:
    model: MolModelConfig = field(default_factory=MolModelConfig)
    rl: MolRLConfig = field(default_factory=MolRLConfig)
    eval: MolEvalConfig = field(default_factory=MolEvalConfig)
    train: TrainConfig = field(default_factory=_mol_train_defaults)


def build_models(config: MolModelConfig, max_atoms: int, atom_types: int) -> tuple[MolGenerator, GraphCritic]:
    bond_types = len(BOND_NAMES)
    generator = MolGenerator(config.latent_dim, max_atoms, atom_types, bond_types, config.generator_dims,
                             config.dropout, config.post, config.temperature)
    critic = GraphCritic(atom_types, bond_types, config.conv_dims, config.readout_dim, config.head_dims,
                         config.dropout, config.valence_feature, config.minibatch_std, pack=config.pack,
                         minibatch_discrimination=config.minibatch_discrimination)
    return generator, critic


@torch.no_grad()
def sample_logits(generator: MolGenerator, count: int, device: torch.device,
                  batch_size: int = 1000, latent_scale: float = 1.0) -> tuple[Tensor, Tensor]:
    """Bond and atom logits of `count` samples, generator in eval mode, on the CPU.

    `latent_scale` multiplies z ~ N(0, I): below 1 trades diversity for typicality (the
    truncation trick), above 1 the other way round.
    """
    was_training = generator.training
    generator.eval()
    bonds, atoms = [], []
    for start in range(0, count, batch_size):
        z = torch.randn(min(batch_size, count - start), generator.latent_dim, device=device) * latent_scale
        b, a = generator.logits(z)
        bonds.append(b.float().cpu())
        atoms.append(a.float().cpu())
    generator.train(was_training)
    return torch.cat(bonds), torch.cat(atoms)


class ValencePenalty(GeneratorRegularizer):
    """Differentiable valence constraint: each atom's summed bond order above its maximum
    valence is penalised, squared. Cheap (no RDKit), and aimed at the failure seen in plain
    MolGAN training: generators drifting to over-bonded graphs that RDKit rejects.
    """

    name = "valence"

    def __init__(self, vocab, weight: float, device: torch.device):
        from molgan.mol.decode import max_valences
        from molgan.mol.models import BOND_ORDER

        self.weight = weight
        self.caps = torch.as_tensor(max_valences(vocab), dtype=torch.float32, device=device)
        self.order = torch.tensor(BOND_ORDER, device=device)

    def excess(self, bonds: Tensor, atoms: Tensor) -> Tensor:
        """(B, N) bond order beyond each atom's cap (absent atoms have cap 0)."""
        return F.relu((bonds * self.order).sum(dim=(2, 3)) - atoms @ self.caps)

    def generator_loss(self, fake: tuple[Tensor, ...], step: int) -> Tensor:
        return self.weight * self.excess(*fake).pow(2).sum(1).mean()


class ConnectivityPenalty(GeneratorRegularizer):
    """Differentiable single-fragment constraint through the graph Laplacian's spectrum.

    Absent atoms get a large diagonal term, which moves their eigenvalues out of the way;
    the Laplacian of the real atoms then has as many zero eigenvalues as the molecule has
    fragments, so λ0 + λ1 (λ0 = 0) is > 0 exactly when it is one fragment, and is pushed
    above `margin`. Its gradient, sum over the two lowest eigenvectors of (v_i - v_j)^2,
    favours bonds between separate fragments and does not depend on which basis of a
    repeated eigenvalue the solver returns (only eigenvalue gradients are used: finite).
    """

    name = "connectivity"
    ABSENT_SHIFT = 20.0  # above any Laplacian eigenvalue of a molecule (<= 2 x max degree)

    def __init__(self, weight: float, margin: float = 0.1):
        self.weight, self.margin = weight, margin

    def generator_loss(self, fake: tuple[Tensor, ...], step: int) -> Tensor:
        bonds, atoms = fake
        present = 1.0 - atoms[..., 0]
        adjacency = (1.0 - bonds[..., 0]) * present.unsqueeze(1) * present.unsqueeze(2)
        laplacian = torch.diag_embed(adjacency.sum(-1) + self.ABSENT_SHIFT * (1.0 - present)) - adjacency
        lowest = torch.linalg.eigvalsh(laplacian.float())[:, :2].sum(1)
        return self.weight * F.relu(self.margin - lowest).mean()


class RewardObjective:
    """MolGAN's RL term: a reward network learns RDKit rewards; the generator ascends it."""

    name = "reward"
    mixed = True

    def __init__(self, task: "MolTask", config: MolRLConfig, device: torch.device):
        self.task, self.config = task, config
        self.reward = RewardFunction(config.reward, task.known)
        m = task.config.model
        self.net = GraphCritic(task.atom_types, len(BOND_NAMES), m.conv_dims, m.readout_dim, m.head_dims,
                               valence_feature=m.valence_feature, sigmoid_output=True).to(device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), config.lr)

    def modules(self) -> dict[str, nn.Module]:
        return {"reward_net": self.net}

    def _smiles(self, bonds: Tensor, atoms: Tensor) -> list[str | None]:
        return [d.smiles for d in decode_logits(bonds, atoms, self.task.vocab, "raw")]

    def critic_step(self, real: tuple[Tensor, ...], fake: tuple[Tensor, ...], step: int) -> dict[str, float]:
        if step < self.config.warmup_steps:
            return {}
        device = real[0].device
        r_real = torch.as_tensor(self.reward(self._smiles(*real)), dtype=torch.float32, device=device)
        r_fake = torch.as_tensor(self.reward(self._smiles(*fake)), dtype=torch.float32, device=device)
        loss = F.mse_loss(self.net(*real), r_real) + F.mse_loss(self.net(*(t.detach() for t in fake)), r_fake)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"rl/net_loss": loss.detach(), "rl/reward_fake": r_fake.mean()}

    def generator_loss(self, fake: tuple[Tensor, ...], step: int) -> Tensor | None:
        if step < self.config.warmup_steps:
            return None
        return -self.net(*fake).mean()

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])


class MolTask:
    def __init__(self, train: MolGraphDataset, valid_smiles: list[str], config: MolRunConfig,
                 device: torch.device):
        self.config, self.device = config, device
        self.data_source: dict = {}
        self.vocab = train.info.vocab
        self.max_atoms, self.atom_types = train.info.max_atoms, len(self.vocab)
        self.generator, self.discriminator = build_models(config.model, self.max_atoms, self.atom_types)
        self.latent_dim = config.model.latent_dim
        self.data = TensorData(train.atom_types, train.bond_types)
        self.known = frozenset(train.smiles)
        self.bond_targets = data_bond_counts(train.bond_types, train.atom_types,
                                             bond_type_indices(config.eval.calibrate_bonds))
        self._bias_key: tuple[int, int] | None = None
        self._bias = torch.zeros(len(BOND_NAMES))
        self.objectives: list = []
        if config.model.valence_penalty > 0:
            self.objectives.append(ValencePenalty(self.vocab, config.model.valence_penalty, device))
        if config.model.connectivity_penalty > 0:
            self.objectives.append(ConnectivityPenalty(config.model.connectivity_penalty))
        if config.train.adversarial_weight < 1.0:
            self.objectives.append(RewardObjective(self, config.rl, device))
        self.fcd = None
        if config.eval.fcd:
            cache = Path(train.processed_dir) / "fcd_valid_stats.pt"
            self.fcd = FCDScorer(valid_smiles, cache=cache)

    def prepare_batch(self, batch: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], None]:
        atoms, bonds = batch
        return (F.one_hot(bonds.long(), len(BOND_NAMES)).float(),
                F.one_hot(atoms.long(), self.atom_types).float()), None

    def sample_condition(self, batch_size: int) -> None:
        return None

    #: Time-to-quality, logged by the trainer and kept in summary.json.
    milestones = {"validity>=0.9,uniqueness>=0.9": {"validity": 0.9, "uniqueness": 0.9},
                  "raw_validity>=0.9,raw_uniqueness>=0.9": {"raw_validity": 0.9, "raw_uniqueness": 0.9}}

    def delivered_bias(self, generator: MolGenerator, step: int) -> Tensor:
        """The bond-logit offsets of the delivered decoding (see molgan/mol/calibration.py),
        found once per step: the evaluation and the sample grid of a step share them."""
        if self._bias_key != (step, id(generator)):
            e = self.config.eval
            self._bias = generator_bond_bias(generator, self.vocab, e.decode, self.bond_targets, e.latent_scale,
                                             self.device, samples=e.samples)
            self._bias_key = (step, id(generator))
        return self._bias

    def evaluate(self, generator: nn.Module, step: int) -> dict[str, float]:
        bonds, atoms = sample_logits(generator, self.config.eval.samples, self.device,
                                     latent_scale=self.config.eval.latent_scale)
        bias = self.delivered_bias(generator, step)
        raw = [d.smiles for d in decode_logits(bonds, atoms, self.vocab, "raw")]
        delivered = [d.smiles for d in decode_logits(bonds + bias, atoms, self.vocab, self.config.eval.decode)]
        metrics = {f"raw_{k}": v for k, v in basic_metrics(raw, self.known).items()}
        metrics.update(basic_metrics(delivered, self.known))
        metrics.update({f"bias_{BOND_NAMES[k]}": float(bias[k]) for k in self.bond_targets})
        if self.fcd is not None:
            metrics["fcd"] = self.fcd(delivered)
        return metrics

    def write_samples(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        from rdkit import Chem
        from rdkit.Chem import Draw

        bonds, atoms = sample_logits(generator, 200, self.device, latent_scale=self.config.eval.latent_scale)
        bonds = bonds + self.delivered_bias(generator, step)
        smiles = [d.smiles for d in decode_logits(bonds, atoms, self.vocab, self.config.eval.decode)]
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

    def describe(self) -> dict:
        m = self.config.model
        return {"domain": "molecule", "atom_types": self.vocab.names(), "max_atoms": self.max_atoms,
                "latent_dim": m.latent_dim, "generator_dims": list(m.generator_dims),
                "conv_dims": list(m.conv_dims), "readout_dim": m.readout_dim, "head_dims": list(m.head_dims),
                "valence_feature": m.valence_feature, "minibatch_std": m.minibatch_std, "pack": m.pack,
                "minibatch_discrimination": m.minibatch_discrimination,
                "bond_counts": {BOND_NAMES[k]: v for k, v in self.bond_targets.items()},
                "reward": self.config.rl.reward if self.objectives else None}


def build_mol_task(args, config: MolRunConfig, device: torch.device) -> MolTask:
    from molgan.commands.dataset_args import dataset_options
    from molgan.mol.dataset import open_mol_dataset

    options = dataset_options(args)
    train = open_mol_dataset(args.dataset, options, args.data_dir, "train", progress=not args.quiet)
    valid = open_mol_dataset(args.dataset, options, args.data_dir, "valid", progress=False, report_skips=False)
    log.info("%s: %d training molecules, up to %d atoms of %s", train.info.source, len(train),
             train.info.max_atoms, ", ".join(train.info.atom_types))
    reference = valid.smiles if len(valid) >= 2 else train.smiles
    task = MolTask(train, reference, config, device)
    task.data_source = {"dataset": args.dataset, "cache": str(Path(train.root).resolve())}
    return task
