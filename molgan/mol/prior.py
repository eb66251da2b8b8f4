"""Generators to start from: the shipped MOSES prior, or any run's weights (`--init`).

`molgan train --init prior|RUN_DIR|CHECKPOINT` starts a run from a trained generator's
weights (the averaged copy its evaluations sampled) instead of random ones: its architecture
and atom vocabulary come with it; the critic, the optimizers and the step count start fresh.
`prior` is a MOSES-trained autoregressive generator shipped inside the package
(molgan/mol/priors/moses.pt, written by scripts/make_prior.py from a benchmarked run), so
that a fresh machine samples drug-like molecules without an hour of pretraining.
"""
from __future__ import annotations

import logging
from pathlib import Path

from molgan.errors import InputError

log = logging.getLogger(__name__)

#: Names that always mean a shipped prior (as `qm9` always means the shipped dataset).
PRIORS = {"prior": "moses.pt"}
PRIOR_DIR = Path(__file__).resolve().parent / "priors"

#: The settings that shape the generator's parameters: taken from the source of --init.
GENERATOR_KEYS = ("generator", "transformer_dim", "transformer_layers", "transformer_heads", "pair_dim",
                  "latent_dim", "generator_dims", "post", "temperature", "condition")
#: The data settings that shape its graphs (atom types, graph size, bond types).
GRAPH_KEYS = ("atom_types", "max_atoms", "aromatic")


def prior_path(name: str) -> Path:
    path = PRIOR_DIR / PRIORS[name]
    if not path.is_file():
        raise InputError(f"{name}: this installation ships no prior ({path} is missing; "
                         "scripts/make_prior.py writes it from a trained MOSES run)")
    return path


def resolve_checkpoint(target: str | Path) -> Path:
    """A checkpoint file, a run directory's best.pt (else its latest checkpoint), or a
    shipped prior's file (`prior`)."""
    from molgan.core.checkpoint import resolve_run_checkpoint

    if str(target) in PRIORS:
        return prior_path(str(target))
    return resolve_run_checkpoint(target)


def read_source(source: str | Path) -> tuple[dict, Path]:
    """(checkpoint state, its path) of an --init source, checked to be a molecule generator."""
    from molgan.core.checkpoint import load_checkpoint

    path = resolve_checkpoint(source)
    state = load_checkpoint(path)
    if (state.get("task") or {}).get("domain") != "molecule":
        raise InputError(f"--init {source}: {path} is not a molecule generator")
    return state, path


def init_settings(state: dict) -> dict:
    """Config changes that make a new run's generator and graphs match the source's."""
    model = state["config"]["model"]
    data = state["config"]["data"]
    task = state["task"]
    return {"model": {k: model[k] for k in GENERATOR_KEYS if k in model},
            "data": {"atom_types": list(task["atom_types"]), "max_atoms": int(task["max_atoms"]),
                     "aromatic": bool(data.get("aromatic", True))}}


def source_weights(state: dict) -> dict:
    """The generator weights to start from: the averaged copy when the run kept one."""
    ema = state.get("ema")
    if ema:
        return {k[len("module."):]: v for k, v in ema.items() if k.startswith("module.")}
    return state["generator"]


def apply_init(task, source: str) -> None:
    """Load `source`'s generator weights into `task.generator`, after checking that the
    task's graphs (atom types, size, bond types, conditions) are the ones it was trained on."""
    from molgan.mol.chem.vocab import KEKULE_BOND_TYPES

    state, path = read_source(source)
    theirs = state["task"]
    mine = {"atom types": list(task.vocab.names()), "graph size": task.max_atoms,
            "bond channels": task.bond_types, "conditions": list(task.config.condition_names)}
    expected = {"atom types": list(theirs["atom_types"]), "graph size": theirs["max_atoms"],
                "bond channels": theirs.get("bond_types", KEKULE_BOND_TYPES),
                "conditions": list((theirs.get("condition") or {}).get("names", []))}
    for what, value in mine.items():
        if value != expected[what]:
            raise InputError(f"--init {source}: its generator was trained on {what} {expected[what]}, this "
                             f"dataset gives {value}")
    try:
        task.generator.load_state_dict(source_weights(state))
    except RuntimeError as exc:
        raise InputError(f"--init {source}: its weights do not fit this generator "
                         f"({str(exc).splitlines()[0][:150]})") from None
    log.info("generator initialised from %s (step %s of its run)", path, state.get("step", "?"))
