"""Stop training cleanly on SIGINT (Ctrl-C) or SIGTERM (what a scheduler sends before it
preempts a job): the loop finishes its current step, writes a checkpoint and ends with
`Interrupted`, whose exit code is the shell's for that signal (130 / 143).
"""
from __future__ import annotations

import logging
import signal
import threading

from molgan.errors import MolganError

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(MolganError):
    """Training stopped on a signal after writing a checkpoint."""

    prefix = ""  # not an error: the message says what happened

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.exit_code = 128 + signum


class StopSignals:
    """Context manager: while inside, SIGINT and SIGTERM set `received` instead of killing
    the process. A second Ctrl-C stops at once (KeyboardInterrupt), for a step that hangs.

    Only the main thread can install handlers; elsewhere this does nothing.
    """

    def __init__(self):
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""

    def _handle(self, signum: int, frame) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if self.received is None:
            self.received = signum
            log.info("%s received: finishing this step, then writing a checkpoint (Ctrl-C again to stop at once)",
                     signal.Signals(signum).name)

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
