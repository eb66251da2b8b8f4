"""Run directories: refuse to clobber another run, and one writer at a time (a lock)."""
from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from molgan.errors import InputError

#: What a run writes; `--overwrite` removes exactly these, nothing else of the user's.
RUN_ENTRIES = ("config.toml", "checkpoints", "samples", "metrics.csv", "tensorboard", "summary.json")


def holds_run(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in RUN_ENTRIES)


class RunDirectory:
    """Context manager: creates `path`, takes an exclusive lock, releases it on exit."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd: int | None = None

    def __enter__(self) -> "RunDirectory":
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot create the run directory ({exc.strerror})") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise InputError(f"{self.path}: another molgan process is writing this run directory") from None
        self._remove_interrupted_writes()
        return self

    def _remove_interrupted_writes(self) -> None:
        """Temporary files of atomic writes that a killed process never renamed into place.

        Safe only under the lock: no other process can be writing them now.
        """
        for name in RUN_ENTRIES:
            target = self.path / name
            parts = target.rglob(".*.tmp") if target.is_dir() else self.path.glob(f".{name}.*.tmp")
            for leftover in parts:
                leftover.unlink(missing_ok=True)

    def clear(self) -> None:
        for name in RUN_ENTRIES:
            target = self.path / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
