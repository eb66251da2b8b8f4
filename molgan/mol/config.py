"""Settings of a molecule run: the sections of its config.toml besides `[train]`."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from molgan.core.config import merge
from molgan.core.train_config import TrainConfig, parse_requirement
from molgan.errors import InputError
from molgan.mol.conditioning import REWARD_CONDITION, check_property_names
from molgan.mol.data.options import DEFAULT_MAX_ATOMS, MolDataOptions
from molgan.mol.docking.config import MolDockConfig
from molgan.mol.nn.models import PostProcess
from molgan.mol.rewards.spec import split_reward


@dataclass
class MolDataConfig:
    """Which molecules to train on and how they become graphs (part of the dataset cache key)."""

    dataset: str = "qm9"  # qm9, moses, or a .csv/.csv.gz/.smi file of SMILES
    smiles_column: str | None = None  # None: found by name (smiles, SMILES, ...)
    # Molecules with more heavy atoms are skipped (and listed in skipped.csv); the graphs
    # are as large as the largest molecule kept.
    max_atoms: int = DEFAULT_MAX_ATOMS
    # The atom vocabulary, e.g. ["C", "N", "O", "N+", "O-"]; () = every (element, charge)
    # found in the data among the organic elements C N O F P S Cl Br I.
    atom_types: tuple[str, ...] = ()
    data_dir: str | None = None  # dataset cache; None: $MOLGAN_DATA_DIR or ./data
    # Aromatic bonds as their own bond type (as RDKit perceives them), which the output layer
    # keeps only where they kekulize; off: kekulized into single and double bonds, which the
    # generator must alternate exactly (it then makes a sixth of QM9's aromatic atoms and a
    # worse FCD, docs/experiments.md).
    aromatic: bool = True

    def __post_init__(self):
        if self.max_atoms < 1:
            raise InputError(f"data.max_atoms must be at least 1, got {self.max_atoms}")
        if not self.dataset:
            raise InputError("data.dataset is empty: name qm9, moses or a SMILES file")

    def options(self):
        """The conversion options of the dataset cache."""
        return MolDataOptions(max_atoms=self.max_atoms, atom_types=tuple(self.atom_types) or None,
                              smiles_column=self.smiles_column, aromatic=self.aromatic)


@dataclass
class MolModelConfig:
    # "mlp": MolGAN's generator, every logit from z at once, through an output layer (post);
    # "autoregressive": atoms one at a time in the data's atom order, each choice within the
    # valences (molgan/mol/nn/autoregressive.py), trained by likelihood first
    # (train.likelihood_steps). Its latent size is one number per choice (latent_dim unused).
    generator: Literal["mlp", "autoregressive"] = "mlp"
    transformer_dim: int = 128  # the autoregressive generator's width, depth and heads
    transformer_layers: int = 4
    transformer_heads: int = 4
    pair_dim: int = 64  # the autoregressive generator's features per atom pair (its largest tensors)
    latent_dim: int = 32
    generator_dims: tuple[int, ...] = (128, 256, 512)
    # How logits become the generator's graphs: st-valence builds them under the atoms'
    # valence caps (molgan/mol/nn/valence.py) and trains through that, straight-through;
    # st-argmax takes each pair's argmax (valid a quarter of the time on QM9).
    post: PostProcess = "st-valence"
    temperature: float = 1.0
    conv_dims: tuple[int, ...] = (128, 64)
    readout_dim: int = 128
    head_dims: tuple[int, ...] = (128, 64)
    dropout: float = 0.0
    valence_feature: bool = True  # summed bond order per atom as a critic input
    # Closed walks of length 3-6 through each atom as critic inputs (molgan/mol/nn/models.py):
    # rings and cages, which two graph convolutions cannot see.
    ring_feature: bool = False
    minibatch_std: bool = True  # lets the critic see a collapsed batch
    minibatch_discrimination: bool = False  # Salimans et al.; replaces minibatch_std when on
    pack: int = 1  # PacGAN: the critic scores packs of this many graphs
    # Hold the generator's atom- and bond-type frequencies to the training data's
    # (molgan/mol/losses/marginals.py). Without it the run degrades after its best step
    # (docs/experiments.md).
    marginal_matching: float = 10.0
    # Properties the generator and critic are conditioned on, any of qed, logp, sa, mw
    # (molgan/mol/conditioning.py); () = unconditional. `molgan sample --condition qed=0.5`.
    condition: tuple[str, ...] = ()
    # Weight of the generator's property-regression loss (molgan/mol/losses/condition.py):
    # how far a property regressor reads its graphs from the asked-for values.
    condition_weight: float = 1.0
    # Steps (of 128 training molecules) the property regressor learns before the GAN starts,
    # and its learning rate (faster, or with rings in view, it read QED better but steered
    # the generator less, docs/experiments.md).
    condition_pretrain_steps: int = 2000
    condition_lr: float = 3e-4
    # The generator's starting weights: "prior" (the shipped MOSES generator), a run
    # directory or a checkpoint (`molgan train --init`, molgan/mol/prior.py); None: random.
    init: str | None = None

    #: Settings of earlier versions, at the value that made them do nothing: a saved run's
    #: config may still list them (core/config.py drops them; any other value is an error).
    #: Each was tried and not kept (docs/experiments.md).
    retired: ClassVar[dict] = {"valence_penalty": 0.0, "connectivity_penalty": 0.0, "pair_matching": 0.0,
                               "soft_marginal_matching": 0.0, "layer_consistency": 0.0, "ring_threshold": 0.0,
                               "min_ring_size": 0, "max_ring_size": 0, "data_rules": 0.0,
                               "chemistry_feature": False}

    def __post_init__(self):
        check_property_names(self.condition, "model.condition")
        for name in ("marginal_matching", "condition_weight", "condition_pretrain_steps", "condition_lr"):
            if getattr(self, name) < 0:
                raise InputError(f"model.{name} must be 0 (off) or more, got {getattr(self, name)}")
        if min(self.transformer_dim, self.transformer_layers, self.transformer_heads, self.pair_dim) < 1 \
                or self.transformer_dim % self.transformer_heads:
            raise InputError(f"model.transformer_dim ({self.transformer_dim}) must be a positive multiple of "
                             f"model.transformer_heads ({self.transformer_heads}), with at least one layer "
                             f"and a positive model.pair_dim")


@dataclass
class MolRLConfig:
    # Product of: validity, qed, logp, sa, druglike (within QED >= 0.5, SA <= 4), filters
    # (MOSES'), uniqueness, novelty, and dock:TARGET (a Vina score against a dockstring target,
    # learned by MolGAN's reward network under the [dock] budget; policy steps from --init,
    # DOCK_PRESET).
    reward: str = "validity"
    # How a run pursues its reward. "condition": the generator is told each training
    # molecule's reward and learns by likelihood, then is asked for high ones (rl.aim);
    # "critic": MolGAN's reward network, a term of weight 1 - train.adversarial_weight;
    # "auto": critic when train.adversarial_weight < 1 or model.condition is set, else condition.
    method: Literal["auto", "condition", "critic"] = "auto"
    # What a conditioned reward run is asked for by default (its evaluations and `molgan
    # sample`): rewards drawn from the training molecules' above this quantile. A single high
    # value repeats the few molecules that have it: on QM9, QED 0.614 (the 99th percentile)
    # gave mean QED 0.579 at 63 % distinct in 10,000; the top quarter about 0.535 at 91 %
    # (docs/experiments.md).
    aim: float = 0.75
    warmup_steps: int = 0  # generator steps before the reward term switches on
    lr: float = 1e-4
    # Real molecules drawn with probability ~ exp(tilt * reward) instead of uniformly, so the
    # critic asks for what the reward prefers (molgan/mol/rewards/tilt.py). 0 = off.
    tilt: float = 0.0
    # The policy steps (train.policy_steps) score each sample by its reward minus
    # 2 · repeat_price · (its molecule's share of the latest `memory` samples): the gradient
    # of mean reward - repeat_price · (chance that two samples are one molecule)
    # (molgan/mol/rewards/policy.py).
    repeat_price: float = 2000.0
    memory: int = 12800
    # A file of reference ligands (.smi / .csv): the pharmacophore term, their largest 2D
    # pharmacophore-fingerprint similarity to a molecule, joins the reward's product
    # (molgan/mol/rewards/pharmacophore.py). Policy-step runs only. "" = off.
    reference: str = ""

    def __post_init__(self):
        if not (self.repeat_price >= 0 and math.isfinite(self.repeat_price)) or self.memory < 1:
            raise InputError(f"rl.repeat_price must be a finite number >= 0 and rl.memory at least 1, got "
                             f"{self.repeat_price} and {self.memory}")
        if not (self.tilt >= 0 and math.isfinite(self.tilt)):
            raise InputError(f"rl.tilt must be a finite number >= 0, got {self.tilt}")
        if not 0 < self.aim < 1:
            raise InputError(f"rl.aim is a quantile of the training rewards, above 0 and below 1, got {self.aim}")


@dataclass
class MolEvalConfig:
    samples: int = 1000  # generated per evaluation
    # Also the share of distinct molecules among this many more samples (metric "unique@N",
    # e.g. for train.best_requires: among 1,000 a handful of duplicates decides,
    # docs/experiments.md). 0 = off; molecule runs score 10,000 (about 10 s per evaluation).
    uniqueness_samples: int = 10000
    fcd: bool = True  # FCD against the validation split (fcd_torch, no download)
    # connected keeps every generated atom, so far more distinct molecules than capped
    # (which keeps the largest fragment) at a similar FCD (docs/experiments.md).
    decode: Literal["raw", "argmax", "capped", "connected"] = "connected"
    # Spread of the latent noise when sampling (z ~ N(0, s^2 I)), for evaluation and as
    # `molgan sample`'s default. Chosen on the validation split: the model's samples are too
    # concentrated at 1.0 (docs/experiments.md).
    latent_scale: float = 1.5
    grid_molecules: int = 24
    #: Settings of earlier versions, at the value that made them do nothing: a saved run's
    #: config may still list them (core/config.py drops them; any other value is an error).
    retired: ClassVar[dict] = {"calibrate_bonds": []}

    def __post_init__(self):
        check_latent_scale(self.latent_scale, "eval.latent_scale")
        if self.samples < 2:
            raise InputError(f"eval.samples must be at least 2, got {self.samples}")
        if self.uniqueness_samples < 0:
            raise InputError(f"eval.uniqueness_samples must be 0 (off) or more, got {self.uniqueness_samples}")


def check_latent_scale(value: float, name: str) -> None:
    if not 0 < value < 100:
        raise InputError(f"{name} must be positive (and below 100), got {value}")


def _mol_train_defaults() -> TrainConfig:
    # Each choice is an ablation in docs/experiments.md: constant-rate runs peak early and
    # degrade (cosine decay holds the quality longer); feature matching lowered FCD and holds
    # diversity (at 0.3 the generator collapses); a critic 3x faster than its default and a
    # generator 2x slower keep the critic informative for longer (the run degrades once it
    # separates real from generated too well); the best validation FCD still comes before
    # the end, so patience 4 (1,000 steps) ends the run instead of training on; best.pt must
    # also have 96 % distinct molecules among 10,000 more samples (eval.uniqueness_samples:
    # a checkpoint with the lowest FCD and 99.5 % distinct among its 1,000 evaluation samples
    # had 94.7 % in 10,000). No reward
    # term (adversarial_weight 1): the graphs of the valence-aware output layer are valid,
    # so MolGAN's validity reward is constant; set it below 1 with an `rl.reward`.
    return TrainConfig(loss="wgan-gp", n_critic=5, batch_size=32, max_steps=3000, lr_g=5e-5, lr_d=3e-4,
                       lr_schedule="cosine", eval_every=250, sample_every=250, checkpoint_every=250,
                       best_metric="fcd", best_requires="unique@10000>=0.96", adversarial_weight=1.0,
                       feature_matching=1.0, patience=4)


@dataclass
class MolRunConfig:
    data: MolDataConfig = field(default_factory=MolDataConfig)
    model: MolModelConfig = field(default_factory=MolModelConfig)
    rl: MolRLConfig = field(default_factory=MolRLConfig)
    eval: MolEvalConfig = field(default_factory=MolEvalConfig)
    train: TrainConfig = field(default_factory=_mol_train_defaults)
    dock: MolDockConfig = field(default_factory=MolDockConfig)

    def __post_init__(self):
        try:
            split_reward(self.rl.reward)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        required = (parse_requirement(self.train.best_requires) or ("",))[0]
        if required.startswith("unique@") and required != f"unique@{self.eval.uniqueness_samples}":
            have = f"unique@{self.eval.uniqueness_samples}" if self.eval.uniqueness_samples else "nothing (off)"
            raise InputError(f"train.best_requires asks for {required} but eval.uniqueness_samples = "
                             f"{self.eval.uniqueness_samples} measures {have}: set both, or best_requires=\"\"")
        if self.model.generator == "autoregressive" and self.train.compile:
            raise InputError("train.compile does not support model.generator = autoregressive (its sampling "
                             "loop depends on the data)")
        rewarded = self.rl.reward != MolRLConfig.reward
        if self.train.policy_steps and not rewarded and self.train.policy_critic_weight < 1.0:
            raise InputError("train.policy_steps climb a reward: set rl.reward (e.g. reward=qed), or "
                             "train.policy_critic_weight = 1 to climb the critic's score alone")
        if self.rl.tilt > 0 and not rewarded:
            raise InputError("rl.tilt needs an rl.reward to tilt towards (e.g. reward=qed)")
        if self.rl.method == "condition" and self.train.adversarial_weight < 1.0:
            raise InputError("rl.method = condition asks for the reward by conditioning, not by a reward term: "
                             "train.adversarial_weight must stay 1 (or rl.method = critic)")
        if rewarded and self.rl.method == "critic" and self.train.adversarial_weight >= 1.0 and self.rl.tilt == 0:
            raise InputError(f"rl.reward = {self.rl.reward!r} with rl.method = critic needs a reward term: set "
                             "train.adversarial_weight below 1 (the reward's share is 1 - adversarial_weight, e.g. "
                             "0.5) or rl.tilt above 0")
        if self.reward_conditioned and self.model.condition:
            raise InputError("model.condition and a conditioned reward (rl.reward with rl.method = condition) both "
                             "condition the generator: choose one, or rl.method = critic with adversarial_weight < 1")
        if rewarded and self.model.condition and not self.reward_conditioned and self.train.adversarial_weight >= 1.0 \
                and self.rl.tilt == 0 and not self.train.policy_steps:
            raise InputError(f"rl.reward = {self.rl.reward!r} beside model.condition = "
                             f"{','.join(self.model.condition)}: nothing in this run would pursue the reward (the "
                             "generator is conditioned on the properties); choose one: --set condition=... or "
                             "--set reward=...")
        if "pharmacophore" in self.rdkit_reward.split(",") and not self.rl.reference:
            raise InputError("the pharmacophore reward compares with reference ligands: set rl.reference=FILE.smi")
        if self.rl.reference and not rewarded:
            raise InputError("rl.reference adds the pharmacophore term to a reward: set rl.reward too (e.g. "
                             "reward=dock:DRD2,qed,sa)")
        if self.rl.reference and (self.reward_conditioned or self.rl.tilt > 0 or self.train.adversarial_weight < 1.0):
            raise InputError("rl.reference (the pharmacophore term) is scored on the generator's samples by policy "
                             "steps: not with a conditioned reward, rl.tilt or MolGAN's reward term "
                             "(adversarial_weight < 1), which score the training molecules")
        if self.train.adversarial_weight < 1.0 and self.train.adversarial_steps == 0:
            raise InputError(f"train.adversarial_weight = {self.train.adversarial_weight:g} mixes MolGAN's reward term "
                             f"into the adversarial steps, but this run has none (its {self.train.likelihood_steps} "
                             f"likelihood and {self.train.policy_steps} policy steps fill train.max_steps = "
                             f"{self.train.max_steps}): lower train.likelihood_steps, or leave adversarial_weight at 1")

    def unused_settings(self) -> list[str]:
        """Settings that change nothing in this run ("section.key"), which its config.toml
        marks: a run without adversarial steps has no critic and no generator-loss terms
        beside its likelihood; each generator reads only its own settings; `rl` only with a
        reward, each of its settings only in the part that uses it."""
        m, t = self.model, self.train
        unused = [f"train.{name}" for name in t.unused_settings()]
        mlp_only = ["latent_dim", "generator_dims", "post", "temperature"]
        autoregressive_only = ["transformer_dim", "transformer_layers", "transformer_heads", "pair_dim"]
        model = autoregressive_only if m.generator == "mlp" else mlp_only
        if t.adversarial_steps == 0:
            critic = ["conv_dims", "readout_dim", "head_dims", "valence_feature", "ring_feature", "minibatch_std",
                      "minibatch_discrimination", "pack"] if not t.trains_critic else []
            model = model + critic + ["marginal_matching", "condition_weight", "condition_pretrain_steps",
                                      "condition_lr"]
            if m.generator == "autoregressive":
                model.append("dropout")
        elif not (m.condition and m.condition_weight > 0):
            model = model + ["condition_pretrain_steps", "condition_lr"]
        unused += [f"model.{name}" for name in dict.fromkeys(model)]
        rl = []
        if self.rl.reward == MolRLConfig.reward and t.adversarial_weight == 1.0:
            rl = ["reward", "method", "aim", "warmup_steps", "lr", "tilt", "reference"]
            rl += ["repeat_price", "memory"] if not t.phases().get("policy") else []
        else:
            rl += ["warmup_steps", "lr"] if t.adversarial_weight == 1.0 or t.adversarial_steps == 0 else []
            rl += ["aim"] if not self.reward_conditioned else []
            rl += ["repeat_price", "memory"] if not t.phases().get("policy") else []
        dock = [] if self.docking_target is not None else [f.name for f in dataclasses.fields(MolDockConfig)]
        return unused + [f"rl.{name}" for name in rl] + [f"dock.{name}" for name in dock]

    @property
    def rdkit_reward(self) -> str:
        """The reward's RDKit terms (functions.py's names): the spec without its docking
        term, with the pharmacophore term when rl.reference is set."""
        names = split_reward(self.rl.reward)[1].split(",")
        if self.rl.reference and "pharmacophore" not in names:
            names.append("pharmacophore")
        return ",".join(names)

    @property
    def docking_target(self) -> str | None:
        """The target of the reward's dock:TARGET term, or None."""
        return split_reward(self.rl.reward)[0]

    def check_docking(self) -> None:
        """A docking reward's requirements, once the settings it calls for (DOCK_PRESET) are in."""
        target, t = self.docking_target, self.train
        if target is None:
            return
        if not t.phases().get("policy"):
            raise InputError(f"rl.reward dock:{target} is pursued by policy steps: set train.policy_steps "
                             "(the docking preset does, from --init)")
        if not self.model.init:
            raise InputError(f"rl.reward dock:{target} starts from a trained generator: --init prior (or a run)")
        if self.model.generator != "autoregressive" or self.model.condition:
            raise InputError(f"rl.reward dock:{target} needs an unconditioned autoregressive generator (--init prior)")
        if (t.adversarial_steps and t.adversarial_weight < 1.0) or self.rl.tilt > 0:
            raise InputError(f"rl.reward dock:{target} is learned from the molecules docked during the run: not "
                             "with MolGAN's differentiable reward term (adversarial_weight < 1) or rl.tilt, which "
                             "need the reward of every training molecule")
        if t.policy_critic and self.model.pack != 1:
            raise InputError("train.policy_critic_weight scores each sample: model.pack must be 1")

    @property
    def condition_names(self) -> tuple[str, ...]:
        """What the generator is conditioned on: model.condition, or a reward-conditioned
        run's reward (REWARD_CONDITION)."""
        return (REWARD_CONDITION,) if self.reward_conditioned else tuple(self.model.condition)

    @property
    def reward_conditioned(self) -> bool:
        """The generator is conditioned on the reward (rl.method condition, or auto without a
        reward term or another condition)."""
        if self.docking_target is not None:  # a docking reward is climbed by policy steps, never conditioned on
            return False
        return self.rl.reward != MolRLConfig.reward and (self.rl.method == "condition" or (
            self.rl.method == "auto" and self.train.adversarial_weight >= 1.0 and not self.model.condition))

    def settings_preset(self) -> dict:
        """Defaults these settings call for, under --config and --set: a conditioned run trains
        the conditioned model (CONDITION_PRESET) and chooses best.pt by how close its molecules
        come to the properties asked for; a run with a reward by its reward (REWARD_CHOICE),
        trained as the conditioned model and then by policy steps when conditioned on it
        (REWARD_POLICY)."""
        if self.docking_target is not None:
            return DOCK_PRESET
        if self.model.condition or self.reward_conditioned:
            choice = REWARD_CHOICE if self.reward_conditioned else CONDITION_CHOICE
            if self.reward_conditioned and self.data.dataset in DATASET_PRESETS:
                # MOSES' preset spends its hour on likelihood: a reward run there would stop at
                # conditioning, short of what a reward run does elsewhere.
                raise InputError(f"--dataset {self.data.dataset} with rl.reward: its preset spends its time budget on "
                                 "likelihood and has no room for the policy steps that climb a reward; condition on "
                                 "the property instead (--set condition=qed, then molgan sample --condition qed=0.8)")
            if self.data.dataset in DATASET_PRESETS:
                return {**choice, "model": {"condition_weight": 0.0}}
            return merge(CONDITION_PRESET, REWARD_POLICY if self.reward_conditioned else choice)
        return REWARD_CHOICE if self.rl.reward != MolRLConfig.reward else {}

    @staticmethod
    def preset(dataset: str) -> dict | None:
        """The full settings of `dataset`'s preset (DATASET_PRESETS), or None when it trains
        with the defaults."""
        from molgan.core.config import to_dict

        changes = DATASET_PRESETS.get(dataset)
        return merge(to_dict(MolRunConfig()), changes) if changes else None


#: What a dataset trains with unless --config or --set say otherwise, over the defaults above
#: (QM9's). MOSES (27 atoms): the autoregressive generator on kekulized graphs, so that every
#: graph within the valences is a molecule (validation FCD 12 after 1,000 steps where the MLP
#: generator's best was 27, docs/experiments.md). It learns by likelihood for the whole hour
#: (batch 128, about 0.43 s a step on one core; 6,500 steps, a cosine rate): a critic step
#: costs about five likelihood steps (its samples are made atom by atom) and did not pay for
#: them in an hour (docs/experiments.md), so the preset holds no critic settings:
#: `--set train.likelihood_steps=4500` gives the last 2,000 steps to a critic, whose settings
#: (the defaults, or e.g. n_critic=2, likelihood_weight=0.05, ring_feature=true,
#: feature_matching=0, marginal_matching=0, as docs/experiments.md tried) come with --set. The
#: 54-minute budget keeps the whole command within the hour on a slower or busier machine;
#: an evaluation (11,000 samples, about 20 s) every 1,000 steps.
DATASET_PRESETS: dict[str, dict] = {
    "moses": {"data": {"aromatic": False},
              "model": {"generator": "autoregressive"},
              "train": {"max_steps": 6500, "max_minutes": 54.0, "likelihood_steps": 6500, "batch_size": 128,
                        "lr_g": 5e-4, "betas": [0.9, 0.999], "grad_clip": 1.0, "eval_every": 1000,
                        "sample_every": 1000, "checkpoint_every": 500, "patience": 0},
              "eval": {"latent_scale": 1.0, "decode": "raw"}},
}


def dataset_data_defaults(dataset: str) -> dict:
    """The [data] settings of `dataset`'s preset ({} = the defaults): what its cache is built with."""
    return dict(DATASET_PRESETS.get(dataset, {}).get("data", {}))


#: How best.pt is chosen in a conditioned run: the evaluation whose molecules come closest to
#: the properties asked for (condition_error), among those with at least 90 % distinct
#: molecules in 10,000 (pulling every molecule to one value costs diversity; FCD alone chose
#: checkpoints that ignored the condition, docs/experiments.md).
CONDITION_CHOICE: dict = {"train": {"best_metric": "condition_error", "best_requires": "unique@10000>=0.9"}}

#: What a conditioned run (model.condition) trains with unless --config or --set say
#: otherwise, on a dataset without a preset of its own (QM9, a user's file): the
#: autoregressive generator on kekulized graphs, told the properties with its latent and
#: learning them by likelihood alone (8,000 steps of batch 128, a cosine rate; 21-25 minutes
#: on one core). Each molecule is trained with its own property values, so no regressor is
#: needed (condition_weight 0). MolGAN's generator conditioned through a property regressor
#: and the critic came within 0.02 of QED 0.52 but 0.055 short of 0.58, at 85 % distinct;
#: this one is within 0.03 at every target, 96-99 % distinct (docs/benchmarks.md). A dataset
#: with a preset (MOSES) keeps its own, conditioned the same way.
CONDITION_PRESET: dict = {
    "data": {"aromatic": False},
    "model": {"generator": "autoregressive", "marginal_matching": 0.0, "condition_weight": 0.0},
    "train": {**CONDITION_CHOICE["train"], "max_steps": 8000, "likelihood_steps": 8000, "max_minutes": 28.0,
              "batch_size": 128, "lr_g": 5e-4, "betas": [0.9, 0.999], "grad_clip": 1.0, "eval_every": 1000,
              "sample_every": 1000, "checkpoint_every": 1000, "patience": 0},
    "eval": {"latent_scale": 1.0, "decode": "raw"},
}

#: How best.pt is chosen in a run with a reward: the evaluation with the highest mean reward
#: of its delivered molecules (invalid ones scoring 0), among those with at least 90 %
#: distinct molecules in 10,000: MolGAN's reward term is known to buy reward with collapse,
#: and FCD measures closeness to the data, which a reward pulls away from.
REWARD_CHOICE: dict = {"train": {"best_metric": "reward", "best_mode": "max", "best_requires": "unique@10000>=0.9"}}

#: What a reward-conditioned run (rl.reward alone) trains with on a dataset without a preset
#: of its own, over CONDITION_PRESET: its 8,000 likelihood steps, then policy steps on the
#: generator's own samples (molgan/mol/rewards/policy.py), evaluated every 100 steps, best.pt
#: the highest reward among those with 90 % distinct molecules in 10,000. Asked for its top
#: quarter of rewards, the conditioned generator alone gave mean QED 0.532 at 91 % distinct;
#: the policy steps climb from there (docs/benchmarks.md, docs/experiments.md).
REWARD_POLICY: dict = merge(REWARD_CHOICE, {"train": {
    "max_steps": 9200, "policy_steps": 1200, "policy_batch_size": 256, "policy_lr": 5e-5, "policy_eval_every": 100,
    "max_minutes": 60.0}})

#: What a docking run (rl.reward with dock:TARGET) trains with unless --config or --set say
#: otherwise, from the generator given by --init (the shipped MOSES prior): policy steps
#: only (learning rate 1e-4), each sample scored by λ = 0.25 of the critic (trained against
#: the data, keeping the chemistry drug-like; its first 50 steps train it alone) and 1 - λ of
#: the reward (the docking term times the RDKit ones), repeats priced, the divergence from the
#: prior priced (β = 0.05 per nat: unanchored, the generator left the prior for fused ring
#: systems that cannot be embedded within 20 steps); every 10 steps the 32 most promising of
#: 256 samples (the step's 64 and more, screened by the reward network) are docked at
#: exhaustiveness 1 until the budget of 2,000 is spent; 90 minutes at most.
#: At λ = 0.5 and 5e-5 with QED as a factor, the docked molecules' mean score fell back after
#: five rounds (docs/experiments.md). best.pt: the highest reward (docking score as
#: predicted) among evaluations with 90 % distinct molecules. A checkpoint after every docking
#: round (the dockings of a run killed between two are in the shared docking cache).
DOCK_PRESET: dict = merge(REWARD_CHOICE, {
    "train": {"likelihood_steps": 0, "max_steps": 1500, "policy_steps": 1500, "policy_batch_size": 64,
              "policy_lr": 1e-4, "policy_eval_every": 100, "policy_critic_weight": 0.25, "policy_critic_warmup": 50,
              "policy_kl_weight": 0.05, "n_critic": 1, "lr_d": 1e-4, "lr_schedule": "constant", "batch_size": 64,
              "max_minutes": 90.0, "eval_every": 100, "sample_every": 100, "checkpoint_every": 10, "patience": 0,
              "best_requires": "unique@1000>=0.9"},
    "eval": {"uniqueness_samples": 1000, "latent_scale": 1.0, "decode": "raw"}})
