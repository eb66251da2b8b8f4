"""Checkpoints: one dict with every state and the config, written atomically.

Loading uses `torch.load(weights_only=True)`: a checkpoint holds tensors and plain
containers only, and a file that would run code when unpickled is refused.
"""
from __future__ import annotations

import pickle
import random
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import torch

from molgan.core.atomic import atomic_write
from molgan.errors import InputError

FORMAT = "molgan-checkpoint"
FORMAT_VERSION = 1
_STEP_FILE = re.compile(r"^step-(\d+)\.pt$")


def save_checkpoint(state: dict, path: str | Path) -> None:
    state = {"format": FORMAT, "format_version": FORMAT_VERSION, **state}
    with atomic_write(path, "wb") as handle:
        torch.save(state, handle)


def load_checkpoint(path: str | Path) -> dict:
    """Read a molgan checkpoint on the CPU; InputError if missing, foreign, corrupt or unsafe."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint" if not path.exists()
                         else f"{path}: not a checkpoint file")
    if not zipfile.is_zipfile(path):  # torch.save writes zip archives; anything else is not ours
        raise InputError(f"{path}: not a readable checkpoint (corrupt or truncated: not a torch archive)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InputError(f"{path}: refused: the file holds objects other than tensors and "
                         f"plain data, which could run code when loaded ({first[:120]})") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as exc:
        raise InputError(f"{path}: not a readable checkpoint (corrupt or truncated: "
                         f"{str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise InputError(f"{path}: not a molgan checkpoint")
    if state.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{path}: checkpoint format version {state.get('format_version')} "
                         f"is not supported (expected {FORMAT_VERSION})")
    return state


class CheckpointManager:
    """`checkpoints/step-NNNNNNN.pt` for the last `keep` saves, plus `best.pt`."""

    def __init__(self, run_dir: str | Path, keep: int = 3):
        self.folder = Path(run_dir) / "checkpoints"
        self.keep = max(1, keep)

    def steps(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        found = (_STEP_FILE.match(p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def path(self, step: int) -> Path:
        return self.folder / f"step-{step:07d}.pt"

    @property
    def best_path(self) -> Path:
        return self.folder / "best.pt"

    def latest(self) -> Path | None:
        steps = self.steps()
        return self.path(steps[-1]) if steps else None

    def save(self, state: dict, step: int, is_best: bool = False) -> Path:
        path = self.path(step)
        save_checkpoint(state, path)
        if is_best:
            # Copy then rename: best.pt is always a complete file.
            with atomic_write(self.best_path, "wb") as handle, open(path, "rb") as source:
                shutil.copyfileobj(source, handle)
        for old in self.steps()[: -self.keep]:
            self.path(old).unlink(missing_ok=True)
        return path


def rng_state() -> dict:
    """Every random number generator the training loop may touch, as plain tensors."""
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "python": list(random.getstate()[1]),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state(("MT19937", np_state["keys"].numpy().astype(np.uint32), np_state["pos"],
                         np_state["has_gauss"], np_state["cached_gaussian"]))
    random.setstate((3, tuple(state["python"]), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def resolve_run_checkpoint(target: str | Path) -> Path:
    """A checkpoint file, or a run directory's best.pt (else its latest checkpoint)."""
    path = Path(target)
    if path.is_dir():
        manager = CheckpointManager(path)
        chosen = manager.best_path if manager.best_path.is_file() else manager.latest()
        if chosen is None:
            raise InputError(f"{path}: no checkpoints in this run directory")
        return chosen
    if not path.exists():
        raise InputError(f"{path}: no such run directory or checkpoint")
    return path
