"""The Python API: what `molgan sample` and `molgan evaluate` do, callable from a notebook.

  import molgan
  generator = molgan.load("runs/qm9")                  # a run directory or a checkpoint
  samples = generator.sample(1000, seed=0)             # a DataFrame, the columns of `molgan sample`
  report = molgan.evaluate(samples.smiles, reference="qm9")   # the dict of `molgan evaluate -o`
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Sequence

log = logging.getLogger(__name__)


class Generator:
    """A trained molecule generator (the EMA copy unless `ema=False`), ready to sample."""

    def __init__(self, run_or_checkpoint: str | Path, ema: bool = True):
        from molgan.mol.sampling import load_generator

        self._loaded = load_generator(run_or_checkpoint, use_ema=ema)
        self._known: frozenset[str] | None = None  # training SMILES, read on first use
        self._known_read = False

    @property
    def path(self) -> Path:
        """The checkpoint file this generator was loaded from."""
        return self._loaded.path

    @property
    def condition(self) -> tuple[str, ...]:
        """The properties this generator is conditioned on (() for none)."""
        return self._loaded.scale.names if self._loaded.scale is not None else ()

    @property
    def step(self) -> int:
        return int(self._loaded.state.get("step", 0))

    @property
    def known(self) -> frozenset[str] | None:
        """The run's training molecules (for the `novel` column), or None when not found."""
        if not self._known_read:
            from molgan.mol.sampling import training_smiles

            self._known, self._known_read = training_smiles(self._loaded.state), True
        return self._known

    def sample(self, n: int, seed: int | None = None, decode: str | None = None,
               latent_scale: float | None = None, batch_size: int = 1000, progress: bool = False,
               condition: dict[str, float] | str | None = None):
        """`n` generated graphs as a DataFrame with `molgan sample`'s columns (invalid rows
        included, in generation order). `seed=None` draws from torch's current random state;
        `decode` and `latent_scale` default to the run's evaluation settings; `condition`
        asks a conditioned run for property values: {"qed": 0.52} or "qed=0.52"."""
        import pandas as pd
        import torch

        from molgan.errors import InputError
        from molgan.mol.conditioning import parse_condition
        from molgan.mol.config import check_latent_scale
        from molgan.mol.decoding.decode import SAMPLE_DECODINGS
        from molgan.mol.sampling import COLUMNS, generate_rows

        if n < 1:
            raise InputError(f"n must be at least 1, got {n}")
        decode = decode or self._loaded.config.eval.decode
        if decode not in SAMPLE_DECODINGS:
            raise InputError(f"decode must be one of {', '.join(SAMPLE_DECODINGS)}, got {decode!r}")
        latent_scale = latent_scale or self._loaded.config.eval.latent_scale
        check_latent_scale(latent_scale, "latent_scale")
        if isinstance(condition, str):
            condition = parse_condition(condition)
        self._loaded.check_targets(condition)  # an unusable condition fails before any work
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            generated = generate_rows(self._loaded, n, self.known, batch_size, decode, progress=progress,
                                      latent_scale=latent_scale, targets=condition)
        return pd.DataFrame(generated.rows, columns=list(COLUMNS))

    def __repr__(self) -> str:
        vocab = ", ".join(self._loaded.vocab.names())
        return f"{type(self).__name__}({str(self.path)!r}, step={self.step}, atoms=[{vocab}])"


def load(run_or_checkpoint: str | Path, ema: bool = True) -> Generator:
    """A trained generator from a run directory (its best.pt, else its latest checkpoint)
    or a checkpoint file."""
    return Generator(run_or_checkpoint, ema=ema)


def evaluate(smiles: Iterable[str | None], reference: str = "qm9", data_dir: str | Path | None = None,
             workers: int | None = None, progress: bool = False, reference_smiles_column: str | None = None,
             stated_reasons: Sequence[str] | None = None) -> dict:
    """Validity, uniqueness, novelty, FCD and the rest of `molgan evaluate`'s report for
    generated SMILES rows (None or "" counts as an invalid row), against `reference`:
    "qm9", "moses" (which adds the MOSES suite under "moses") or the path of a SMILES file.
    `stated_reasons`: a samples file's own reasons for
    its invalid rows, used only to break them down."""
    from molgan.mol.data.convert import default_workers
    from molgan.mol.metrics.chemnet import ChemNet
    from molgan.mol.metrics.evaluation import evaluate_smiles
    from molgan.mol.metrics.reference import load_reference

    rows = ["" if s is None or (isinstance(s, float) and s != s) else str(s) for s in smiles]
    workers = workers or default_workers()
    chemnet = ChemNet()
    stats = load_reference(reference, data_dir, reference_smiles_column, chemnet, workers, progress=progress)
    return evaluate_smiles(rows, stats, chemnet, workers, progress=progress, stated_reasons=stated_reasons)


def default_dock_cache(data_dir: str | Path | None = None) -> Path:
    """Where docking scores are cached unless told otherwise: DATA_DIR/docking.sqlite."""
    from molgan.mol.data.options import default_data_dir

    return Path(data_dir) / "docking.sqlite" if data_dir is not None else default_data_dir() / "docking.sqlite"


def dock(smiles: Iterable[str | None], target="DRD2", exhaustiveness: int | None = None,
         cache: str | Path | None | bool = True, progress: bool = False, config=None, **settings):
    """Dock each SMILES against `target` (a dockstring name such as "DRD2") with AutoDock Vina.

    Returns a DataFrame, one row per input row: smiles, canonical_smiles, docking_score
    (kcal/mol, lower binds better; NaN without one), docking_status ("ok", "failed" or
    "invalid"), docking_reason, docked_smiles (the protonated form), docking_seconds, cached,
    pose (the best pose as a molblock). `cache`: True for DATA_DIR/docking.sqlite, a path, or
    False/None for none. Other settings (seed, ph, protonate, timeout, workers, scheduler) as
    keywords, or a `DockConfig` as `config`."""
    import dataclasses

    import pandas as pd

    from molgan.errors import InputError
    from molgan.mol.docking.config import DockConfig
    from molgan.mol.docking.run import dock_smiles
    from molgan.mol.docking.targets import Target, find_target

    if isinstance(smiles, str):
        raise InputError("dock() takes a list of SMILES, not one string")
    if exhaustiveness is not None:
        settings["exhaustiveness"] = exhaustiveness
    try:
        config = dataclasses.replace(config or DockConfig(), **settings)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc)) from None
    target = target if isinstance(target, Target) else find_target(str(target))
    cache = default_dock_cache() if cache is True else (cache or None)
    rows = ["" if s is None or (isinstance(s, float) and s != s) else str(s) for s in smiles]
    results = dock_smiles(rows, target, config, cache=cache, progress=progress)
    return pd.DataFrame({
        "smiles": [r.smiles for r in results], "canonical_smiles": [r.canonical for r in results],
        "docking_score": pd.array([r.score for r in results], dtype="Float64").astype(float),
        "docking_status": [r.status for r in results], "docking_reason": [r.reason for r in results],
        "docked_smiles": [r.docked_smiles for r in results], "docking_seconds": [r.seconds for r in results],
        "cached": [r.cached for r in results], "pose": [r.pose for r in results]})
