"""Dock many SMILES: canonical forms, the cache, an executor of docking processes, progress.

    results = dock_smiles(["CCO", ...], find_target("DRD2"), DockConfig(exhaustiveness=1))

Each distinct molecule is docked once (the largest fragment of its canonical SMILES); a
score already in the cache is read, not recomputed. Results are written to the cache as
they arrive, so a run that is killed keeps every docking it finished.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib.util
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from rdkit import Chem, RDLogger

from molgan.errors import InputError, RunFailure
from molgan.mol.docking.cache import DockingCache
from molgan.mol.docking.config import DockConfig
from molgan.mol.docking.targets import Target
from molgan.mol.docking.worker import DockingProcessError, DockJob, close_all, run_job

log = logging.getLogger(__name__)

#: What the docking route imports (module -> pip name); checked before any process starts.
NEEDS = {"vina": "vina", "meeko": "meeko", "gemmi": "gemmi", "scipy": "scipy", "dimorphite_dl": "dimorphite_dl"}
LOG_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal


@dataclass
class DockResult:
    """One input row's docking: `status` "ok" (a score), "failed" (a reason) or "invalid"
    (the row's SMILES is empty or does not parse)."""

    smiles: str
    canonical: str | None
    status: str
    score: float | None = None
    reason: str | None = None
    docked_smiles: str | None = None
    pose: str | None = None  # the best pose, MDL molblock with hydrogens
    seconds: float | None = None
    cached: bool = False


def check_installed() -> None:
    missing = [pip for module, pip in NEEDS.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise InputError(f"docking needs {', '.join(missing)}: pip install 'molgan[dock]'")


def canonical_parent(smiles: str) -> tuple[str | None, str | None]:
    """(canonical SMILES of the largest fragment, None) or (None, why the row cannot be docked)."""
    if not smiles:
        return None, "empty SMILES"
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None, "not a valid SMILES"
    fragments = Chem.GetMolFrags(mol, asMols=True)
    if len(fragments) > 1:  # salts and mixtures: the parent is what binds
        mol = max(fragments, key=lambda m: m.GetNumHeavyAtoms())
    return Chem.MolToSmiles(mol), None


@contextlib.contextmanager
def _executor(config: DockConfig) -> Iterator[cf.Executor]:
    if config.scheduler is None:
        workers = config.workers or len(os.sched_getaffinity(0))
        with cf.ThreadPoolExecutor(workers, thread_name_prefix="dock") as pool:
            try:
                yield pool
            finally:
                # Ending the docking processes first: on an interrupt or an error, a molecule
                # still being docked ends now, not when its search would (up to dock.timeout).
                close_all()
                pool.shutdown(wait=True, cancel_futures=True)
                close_all()  # any a worker thread started meanwhile
        return
    try:
        from distributed import Client
    except ImportError:
        raise InputError("dock.scheduler needs Dask: pip install 'molgan[dask]'") from None
    try:
        client = Client(config.scheduler, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise RunFailure(f"cannot reach the Dask scheduler at {config.scheduler} ({exc})") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()


class _Progress:
    """A tqdm bar on a terminal; otherwise a log line every LOG_EVERY seconds."""

    def __init__(self, total: int, target: str, enabled: bool):
        from tqdm import tqdm

        self.total, self.done, self.failed, self.target = total, 0, 0, target
        self.start = self._last = time.monotonic()
        self.enabled = enabled and total > 0
        self._bar = tqdm(total=total, desc=f"docking ({target})", unit="mol") if (
            self.enabled and sys.stderr.isatty()) else None

    def update(self, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(failed=self.failed, refresh=False)
        elif self.enabled and (time.monotonic() - self._last >= LOG_EVERY or self.done == self.total):
            self._last = time.monotonic()
            elapsed = self._last - self.start
            rate = self.done / elapsed if elapsed > 0 else math.nan
            left = (self.total - self.done) / rate if rate > 0 else math.nan
            log.info("docking (%s): %d/%d molecules, %d failed, %.2f molecules/s, %.0f s left", self.target,
                     self.done, self.total, self.failed, rate, left)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def local_executor(config: DockConfig) -> cf.ThreadPoolExecutor:
    """A pool of docking threads to keep across calls of `dock_smiles` (a training run docks a
    round at a time): each thread's docking process keeps its grid maps from one call to the next."""
    return cf.ThreadPoolExecutor(config.workers or len(os.sched_getaffinity(0)), thread_name_prefix="dock")


def dock_smiles(smiles: Sequence[str], target: Target, config: DockConfig, cache: str | Path | None = None,
                progress: bool = False, executor: cf.Executor | None = None) -> list[DockResult]:
    """Dock every row of `smiles` against `target`; one DockResult per row, in order.
    `executor`: one to use and leave running (`local_executor`); None: a pool for this call."""
    check_installed()
    parents = [canonical_parent(s.strip() if isinstance(s, str) else "") for s in smiles]
    todo = list(dict.fromkeys(c for c, _ in parents if c is not None))
    store = DockingCache(cache) if cache is not None else None
    settings = config.settings_key()
    known: dict[str, dict] = store.get_many(target.key, settings, todo) if store is not None else {}
    from_cache = set(known)
    missing = [s for s in todo if s not in known]
    if from_cache:
        log.info("%d of %d distinct molecules already docked (cache %s)", len(from_cache), len(todo), store.path)
    bar = _Progress(len(missing), target.name, progress)
    try:
        if missing:
            with contextlib.nullcontext(executor) if executor is not None else _executor(config) as pool:
                futures = {pool.submit(run_job, DockJob(s, target, config)): s for s in missing}
                for future in cf.as_completed(futures):
                    try:
                        result = future.result()
                    except DockingProcessError as exc:
                        raise RunFailure(str(exc)) from None
                    known[futures[future]] = result
                    if store is not None and (result.get("score") is not None or result.get("deterministic")):
                        store.put(target.key, settings, futures[future], result)
                    bar.update(failed=result.get("score") is None)
    finally:
        bar.close()
        if store is not None:
            store.close()
    results = []
    for text, (canonical, problem) in zip(smiles, parents):
        if canonical is None:
            results.append(DockResult(text, None, "invalid", reason=problem))
            continue
        found = known[canonical]
        ok = found.get("score") is not None
        results.append(DockResult(text, canonical, "ok" if ok else "failed", score=found.get("score"),
                                  reason=None if ok else found.get("reason"),
                                  docked_smiles=found.get("docked_smiles"), pose=found.get("pose"),
                                  seconds=found.get("seconds"), cached=canonical in from_cache))
    return results
