"""What several test modules share: paths, tiny datasets and settings, trainer factories."""
import os
import time
from pathlib import Path

import torch

from molgan.core.checkpoint import load_checkpoint
from molgan.core.devices import resolve_precision
from molgan.core.train_config import TrainConfig
from molgan.core.trainer import Trainer
from molgan.image.data import make_synthetic
from molgan.image.task import ImageDataConfig, ImageModelConfig, ImageRunConfig, ImageTask
from molgan.mol.chem.graph import encode_dense, smiles_to_graph
from molgan.mol.chem.vocab import AtomVocab

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"

#: Small molecules of several kinds (rings, charges-free heteroatoms, triple bonds).
MOLECULES = ["CCO", "CC(=O)O", "c1ccccc1", "CCN", "C#N", "NCC(=O)O", "OCC(O)CO", "CC(C)=O",
             "C1CC1", "CN(C)C", "O=CC=O", "CC#CC", "OC1CCC1", "NC=O", "CCOC", "C1=CC=CN1"]

#: A molecule model small enough to train in seconds (whose samples are too few and too alike
#: for the default best.pt requirement of 96 % distinct molecules among 10,000 more samples,
#: which would also take most of the run: any evaluation may be best).
TINY_MOL = ["--set", "batch_size=8", "--set", "n_critic=2", "--set", "eval_every=2", "--set", "samples=50",
            "--set", "generator_dims=[16, 32]", "--set", "conv_dims=[8]", "--set", "readout_dim=8",
            "--set", "head_dims=[8]", "--set", "checkpoint_every=2", "--set", 'best_requires=""',
            "--set", "uniqueness_samples=0"]

#: TINY_MOL's autoregressive generator, trained by likelihood (a source for `--init`).
TINY_AUTOREGRESSIVE = ["--set", "generator=autoregressive", "--set", "likelihood_steps=2", "--set", "aromatic=false",
                       "--set", "transformer_dim=16", "--set", "pair_dim=8", "--set", "transformer_layers=1",
                       "--set", "fcd=false", "--set", "marginal_matching=0"]

#: The same, checkpointing every step and without FCD: for runs that are killed or interrupted.
TINY = ["--set", "batch_size=8", "--set", "n_critic=1", "--set", "generator_dims=[16]", "--set", "conv_dims=[8]",
        "--set", "readout_dim=8", "--set", "head_dims=[8]", "--set", "checkpoint_every=1", "--set", "eval_every=2",
        "--set", "sample_every=2", "--set", "samples=20", "--set", "fcd=false", "--set", "log_every=1",
        "--set", 'best_requires=""', "--set", "uniqueness_samples=0"]


#: The atom types of the decoding and penalty tests: neutral C N O F and nitro's N+ / O-.
VOCAB = AtomVocab.from_strings(["C", "N", "O", "F", "N+", "O-"])


def logits_for(smiles_list: list[str], vocab: AtomVocab, n: int, bond_types: int = 4):
    """Generator-shaped logits (B, N, N, E), (B, N, T) whose argmax is exactly these molecules."""
    atoms = torch.zeros(len(smiles_list), n, len(vocab))
    bonds = torch.zeros(len(smiles_list), n, n, bond_types)
    for k, smiles in enumerate(smiles_list):
        a, b = encode_dense(smiles_to_graph(smiles)[1], vocab, n)
        atoms[k] = torch.nn.functional.one_hot(torch.from_numpy(a).long(), len(vocab)) * 10
        bonds[k] = torch.nn.functional.one_hot(torch.from_numpy(b).long(), bond_types) * 10
    return bonds, atoms


def subprocess_env(data_dir: Path, **extra: str) -> dict:
    """The environment of a `python -m molgan` child: this checkout first, one thread."""
    return {**os.environ, "MOLGAN_DATA_DIR": str(data_dir), "OMP_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **extra}


def train_args(molecules: Path, out: Path, steps: int) -> list[str]:
    return ["train", "--dataset", str(molecules), "--out", str(out), "--max-steps", str(steps), *TINY]


def wait_for(predicate, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the training process did not get there in time")
        time.sleep(0.05)


def latest_step(run: Path) -> int:
    steps = [int(p.stem.split("-")[1]) for p in (run / "checkpoints").glob("step-*.pt")] \
        if (run / "checkpoints").is_dir() else []
    return max(steps, default=0)


def final_generator(run: Path, step: int) -> dict:
    return load_checkpoint(run / "checkpoints" / f"step-{step:07d}.pt")["generator"]


def make_trainer(run_dir, seed=0, model="mlp", precision="off", **train):
    defaults = dict(max_steps=6, batch_size=8, n_critic=2, log_every=2, eval_every=100,
                    sample_every=100, checkpoint_every=3)
    config = ImageRunConfig(model=ImageModelConfig(kind=model, latent_dim=8, width=4),
                            data=ImageDataConfig(grid_samples=8),
                            train=TrainConfig(**{**defaults, **train}))
    torch.manual_seed(seed)
    task = ImageTask(make_synthetic(64, 28), config, torch.device("cpu"), score=False)
    device = torch.device("cpu")
    return Trainer(task, config.train, run_dir, device, resolve_precision(device, precision), seed=seed)


def weights(trainer):
    state = {**{f"g.{k}": v for k, v in trainer.task.generator.state_dict().items()},
             **{f"d.{k}": v for k, v in trainer.task.discriminator.state_dict().items()}}
    if trainer.ema is not None:
        state.update({f"ema.{k}": v for k, v in trainer.ema.state_dict().items()})
    return state


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def capture_gradients(trainer) -> dict:
    """Make both updates record the gradients of their step instead of applying them:
    {("d" or "g", parameter name): gradient}, filled by each step."""
    captured = {}
    for key, update in (("d", trainer.d_update), ("g", trainer.g_update)):
        def step(loss, key=key, update=update):
            if update.compiled is None:
                update.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                grads = {name: p.grad.clone() for name, p in update.module.named_parameters()}
            else:
                grads = update._grads
            captured.update({(key, name): g for name, g in grads.items()})
        update.step = step
    return captured


def without_batch_norm(module):
    for name, child in module.named_children():
        if isinstance(child, torch.nn.modules.batchnorm._BatchNorm):
            setattr(module, name, torch.nn.Identity())
        else:
            without_batch_norm(child)
