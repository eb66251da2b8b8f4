"""Train a GAN: molecules (QM9 or your SMILES file) or images (MNIST, a folder, synthetic).

  molgan train --dataset qm9
  molgan train --dataset my_molecules.csv --out runs/mine --set max_steps=5000
  molgan train --dataset mnist --set model.kind=mlp --set loss=wgan-gp
  molgan train --dataset qm9 --out runs/qm9 --resume
  molgan train --dataset moses --init prior --max-steps 500   # fine-tune the shipped prior

The run directory gets config.toml (the resolved config), metrics.csv, checkpoints/
(last few, plus best.pt) and samples/. Settings come from the defaults, then --config
(a TOML file holding only the differences), then each --set key=value (a bare key such as
n_critic is looked up in the config's sections, e.g. train). The dataset flags are
recorded as the [data] settings, so --resume --out DIR needs none of them again.

Ctrl-C or SIGTERM finishes the current step, writes a checkpoint and exits with 130 / 143;
--resume continues exactly where it stopped.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import random
import time
from pathlib import Path

from molgan.commands.dataset_args import add_dataset_arguments, dataset_settings
from molgan.errors import InputError

log = logging.getLogger("molgan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset_arguments(parser, required=False)
    parser.add_argument("--out", metavar="DIR", help="run directory (default: runs/<dataset name>)")
    parser.add_argument("--max-steps", type=int, metavar="N", help="generator steps (overrides the config)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda")
    parser.add_argument("--config", metavar="FILE.toml", help="TOML file of settings that differ from the defaults")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="override one setting, e.g. --set train.lr_g=2e-4 or --set n_critic=3")
    parser.add_argument("--init", metavar="prior|RUN_DIR|CHECKPOINT",
                        help="start the generator from trained weights: prior (the shipped MOSES generator), a run "
                             "or a checkpoint (its architecture and atom types come with it)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue the run in --out from its latest checkpoint, with its recorded settings")
    mode.add_argument("--overwrite", action="store_true", help="replace the run in --out")


def run(args: argparse.Namespace) -> int:
    import torch

    from molgan.core import distributed

    if args.max_steps is not None and args.max_steps < 1:
        raise InputError(f"--max-steps must be at least 1, got {args.max_steps}")
    if args.dataset is None and not (args.resume and args.out):
        raise InputError("--dataset is required (qm9, moses, mnist or a path), except with --resume --out RUN_DIR")
    run_dir = Path(args.out or Path("runs") / Path(args.dataset).name.split(".")[0])
    ctx = distributed.init_distributed(use_cuda=args.device != "cpu" and torch.cuda.is_available())
    if not ctx.is_main:
        log.setLevel(logging.WARNING)  # one copy of each progress message
    try:
        return _train(args, run_dir, ctx)
    finally:
        distributed.shutdown(ctx)


def resolve_config(args: argparse.Namespace, run_dir: Path):
    """(domain, config): the recorded settings of a resumed run, else the defaults, then
    --config, the dataset flags and --set."""
    from molgan.core import config as cfg
    from molgan.domains import domain_for

    base = cfg.load_toml(run_dir / "config.toml") if args.resume else None
    recorded = (base or {}).get("data", {}).get("dataset")
    if args.resume and args.dataset is not None and recorded is not None and args.dataset != recorded:
        raise InputError(f"{run_dir} was trained on {recorded}, not {args.dataset}")
    domain = domain_for(args.dataset or recorded or "")
    sets = list(args.sets)
    if domain.name == "molecule":
        sets = dataset_settings(args) + sets
    else:
        given = [flag for flag, value in (("--smiles-column", args.smiles_column), ("--max-atoms", args.max_atoms),
                                          ("--atom-types", args.atom_types)) if value is not None]
        if given:
            dataset = args.dataset or recorded
            raise InputError(f"{', '.join(given)}: molecule options, but {dataset} is an image dataset")
        if args.dataset is not None:
            sets = [f"data.dataset={json.dumps(args.dataset)}"] + sets
    if base is None:
        base = domain.defaults(args.dataset)
    starting_point = _init_settings(args, domain)
    if starting_point:
        base = cfg.merge(base or cfg.to_dict(domain.config_cls()), starting_point)
    config = cfg.build_config(domain.config_cls, args.config, sets, base)
    # Defaults that depend on the settings themselves (a conditioned run's checkpoint choice),
    # still under --config and --set; a resumed run's config.toml already has them.
    called_for = getattr(config, "settings_preset", dict)()
    if called_for and not args.resume:
        base = cfg.merge(cfg.merge(base or cfg.to_dict(domain.config_cls()), called_for), starting_point)
        config = cfg.build_config(domain.config_cls, args.config, sets, base)
    if args.max_steps is not None:
        config.train.max_steps = args.max_steps
    return domain, config


def _init_settings(args: argparse.Namespace, domain) -> dict:
    """The settings `--init` brings: the source generator's architecture and graphs, and
    `model.init` (a path made absolute, so that a restarted run finds it)."""
    if args.init is None:
        return {}
    if args.resume:
        raise InputError("--init starts a new run from trained weights; --resume continues a run from its own")
    if domain.name != "molecule":
        raise InputError("--init starts a molecule generator from trained weights; images have no --init")
    from molgan.mol.prior import PRIORS, init_settings, read_source

    state, _ = read_source(args.init)
    source = args.init if args.init in PRIORS else str(Path(args.init).resolve())
    settings = init_settings(state)
    settings["model"]["init"] = source
    return settings


def build_training(args: argparse.Namespace, domain, config, ctx):
    """(task, device, precision) of a `molgan train` command line's resolved `config`, seeded
    as its run is: what `_train` trains (and scripts/fingerprints.py fingerprints)."""
    import torch

    from molgan.core.devices import resolve_precision, select_device
    from molgan.core.train_config import fit_batch_to_data

    random.seed(args.seed)
    device = select_device(args.device, ctx.local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed + ctx.rank)  # different noise per replica
    precision = resolve_precision(device, config.train.amp)
    task = domain.build_task(config, device, progress=not args.quiet)
    try:
        warning = fit_batch_to_data(config.train, len(task.data), ctx.world_size)
    except ValueError as exc:
        raise InputError(f"{config.data.dataset}: {exc}") from None
    if warning:
        log.warning("%s", warning)
    return task, device, precision


def _train(args: argparse.Namespace, run_dir: Path, ctx) -> int:
    from molgan.core import config as cfg
    from molgan.core import distributed
    from molgan.core.checkpoint import CheckpointManager, load_checkpoint
    from molgan.core.interrupt import StopSignals
    from molgan.core.run import RunDirectory, holds_run
    from molgan.core.trainer import Trainer

    # Every rank checks before any rank writes (the barrier below): all agree, none hangs.
    existing = holds_run(run_dir)
    if existing and not (args.resume or args.overwrite):
        raise InputError(f"{run_dir} already holds a run: --resume to continue it or --overwrite to replace it")
    if args.resume and not existing:
        raise InputError(f"{run_dir}: no run to resume")
    domain, config = resolve_config(args, run_dir)
    resume_from = CheckpointManager(run_dir).latest() if args.resume else None
    distributed.barrier(ctx)
    task, device, precision = build_training(args, domain, config, ctx)
    with RunDirectory(run_dir) if ctx.is_main else contextlib.nullcontext() as directory, StopSignals() as signals:
        if args.resume and resume_from is None:
            # Killed before its first checkpoint (a preempted job requeued with --resume): its
            # recorded settings, trained from the start.
            log.warning("%s holds no checkpoint yet (its run stopped before the first one): starting it from "
                        "step 0 with its recorded settings", run_dir)
        if ctx.is_main and (args.overwrite or (args.resume and resume_from is None)):
            directory.clear()
        resolved = cfg.to_dict(config)
        trainer = Trainer(task, config.train, run_dir, device, precision, seed=args.seed,
                          dist=ctx, run_config=resolved, signals=signals)
        if resume_from is not None:
            trainer.load_state_dict(load_checkpoint(resume_from))
            log.info("resuming %s at step %d", resume_from, trainer.step)
        if ctx.is_main:  # only now: a refused resume leaves the run's config as it was
            cfg.save_toml(resolved, run_dir / "config.toml", _config_header(config))
        patience = config.train.patience
        log.info("training on %s: %s; %s%s; device %s%s, run directory %s", config.data.dataset,
                 task.summary(), trainer.plan(),
                 f" (or until {patience} evaluations bring no better {config.train.best_metric})" if patience else "",
                 device, f" ({precision.dtype})" if precision.dtype else "", run_dir)
        started = time.monotonic()
        final = trainer.fit()
        if ctx.is_main:
            _write_summary(run_dir, trainer, final, time.monotonic() - started)
    return 0


def _config_header(config) -> str:
    """config.toml's opening comment: what the file is, and which of its settings this run
    does not use (each setting is still listed, so the file is a complete config)."""
    import textwrap

    unused = config.unused_settings() if hasattr(config, "unused_settings") else \
        [f"train.{name}" for name in config.train.unused_settings()]
    header = "Every setting of this run (molgan train --resume reads them back)."
    if unused:
        header += " Not used by this run, whatever their value: " + ", ".join(unused) + "."
    return "\n".join(textwrap.wrap(header, 100))


def _write_summary(run_dir: Path, trainer, final: dict, seconds: float) -> None:
    from molgan.core.atomic import atomic_write
    from molgan.core.logs import finite_or_none

    summary = {"step": trainer.step, "minutes": round(seconds / 60, 2), "final": final,
               "best": trainer.tracker.best, "best_metric": trainer.config.best_metric or None,
               "best_step": trainer.tracker.best_step if trainer.tracker.best is not None else None,
               "stopped_early": trainer.stop_reason,
               "first_reached": trainer.milestones.summary()}
    with atomic_write(run_dir / "summary.json") as handle:
        json.dump(finite_or_none(summary), handle, indent=1)  # NaN is not JSON: an undefined metric is null
    shown = ", ".join(f"{k} {v:.4g}" for k, v in final.items() if "/" not in k)  # diagnostics: metrics.csv
    log.info("done: %d steps in %.1f min%s; checkpoints in %s", trainer.step, seconds / 60,
             f" ({shown})" if shown else "", run_dir / "checkpoints")
