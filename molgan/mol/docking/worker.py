"""Docking processes with a time limit per molecule, callable from any executor's thread.

`run_job(job)` is what an executor runs: locally a `ThreadPoolExecutor` (one thread per
core), on a cluster a Dask worker's thread. Each thread keeps its own `VinaProcess`, whose
grid maps are computed once for the target and reused for every molecule after.
"""
from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from molgan.mol.docking.config import DockConfig
from molgan.mol.docking.targets import Target

#: Seconds a new process may take to import Vina and compute the target's grid maps.
SETUP_SECONDS = 600.0


class DockingProcessError(RuntimeError):
    """The docking process could not start or did not answer: a failure of the run, not of a molecule."""


@dataclass(frozen=True)
class DockJob:
    """One molecule to dock: picklable, so that a Dask worker elsewhere can run it."""

    smiles: str  # canonical SMILES, as written (protonated in the docking process)
    target: Target
    config: DockConfig


class VinaProcess:
    """A `python -m molgan.mol.docking.helper` child holding one target's grid maps."""

    def __init__(self, target: Target, config: DockConfig):
        self.key = (target.key, config.settings_key())
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([sys.executable, "-m", "molgan.mol.docking.helper"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, bufsize=0)
        self._buffer = b""
        setup = {"receptor": str(target.receptor), "center": list(target.center), "size": list(target.size),
                 "exhaustiveness": config.exhaustiveness, "seed": config.seed,
                 "ph": config.ph if config.protonate else None}
        answer = self._ask(setup, SETUP_SECONDS)
        if not isinstance(answer, dict) or "error" in answer:
            detail = answer["error"] if isinstance(answer, dict) else (
                f"no answer in {SETUP_SECONDS:g} s" if answer == "timeout" else self.exit_reason())
            self.close()
            raise DockingProcessError(f"the docking process for {target.name} did not start ({detail})")

    def _ask(self, message: dict, timeout: float) -> dict | str:
        """Send one request; its answer, or "timeout" or "ended" when none came."""
        try:
            self._proc.stdin.write((json.dumps(message) + "\n").encode())
            self._proc.stdin.flush()
        except OSError:  # a broken pipe: the process is gone
            return "ended"
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return "timeout"
                chunk = os.read(self._proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    return "ended"
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def exit_reason(self) -> str:
        """Why the process is gone: its signal, or its exit code and last line of stderr."""
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "no answer"
        if code < 0:  # a signal: its stderr (Vina's warnings) does not say why
            return f"killed by signal {signal.Signals(-code).name}"
        what = f"exit code {code}"
        self._stderr.seek(0)
        lines = [s for s in self._stderr.read().decode(errors="replace").splitlines() if s.strip()]
        return f"{what}: {lines[-1].strip()}" if lines else what

    def dock(self, smiles: str, timeout: float) -> dict:
        """The answer for one molecule. On a time-out or a crash the process is ended and
        the answer says why (this process cannot be used again: `alive` is False)."""
        answer = self._ask({"smiles": smiles}, timeout)
        if isinstance(answer, dict):
            return answer
        if answer == "timeout":
            self.close()
            return {"reason": f"time limit of {timeout:g} s exceeded", "deterministic": False}
        reason = self.exit_reason()
        self.close()
        return {"reason": f"the docking process died ({reason})", "deterministic": False}

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._stderr):
            try:
                stream.close()
            except OSError:
                pass


_local = threading.local()
_all: list[VinaProcess] = []
_all_lock = threading.Lock()


def run_job(job: DockJob) -> dict:
    """Dock one molecule in this thread's docking process (started, or restarted for another
    target or settings, as needed). Raises DockingProcessError if no process can start."""
    process: VinaProcess | None = getattr(_local, "process", None)
    key = (job.target.key, job.config.settings_key())
    if process is None or not process.alive or process.key != key:
        if process is not None:
            process.close()
        process = _local.process = VinaProcess(job.target, job.config)
        with _all_lock:
            _all[:] = [p for p in _all if p.alive] + [process]
    return process.dock(job.smiles, job.config.timeout)


@atexit.register
def close_all() -> None:
    """End every docking process this process started (their grid maps go with them)."""
    with _all_lock:
        for process in _all:
            process.close()
        _all.clear()
