"""Errors that the command line turns into one clear line and an exit code.

Everything the user can cause (a bad file, a bad flag value) raises `InputError`
(exit 2); failures while doing valid work raise `RunFailure` (exit 1). Any other
exception is a bug and is reported as one (exit 1, traceback only with --debug).
"""
from __future__ import annotations


class MolganError(Exception):
    """Base class: an error with a message meant for the user and an exit code."""

    exit_code = 1


class InputError(MolganError):
    """Bad usage or bad input: a missing/empty/unreadable file, an invalid value."""

    exit_code = 2


class RunFailure(MolganError):
    """Valid request that failed while running (non-finite loss, disk full, ...)."""

    exit_code = 1
