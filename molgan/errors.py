"""Errors that the command line turns into one clear line and an exit code.

Everything the user can cause (a bad file, a bad flag value) raises `InputError`
(exit 2); failures while doing valid work raise `RunFailure` (exit 1). Any other
exception is a bug and is reported as one (exit 1, traceback only with --debug).
"""
from __future__ import annotations


class MolganError(Exception):
    """Base class: an error with a message meant for the user and an exit code."""

    exit_code = 1
    prefix = "error: "  # how the command line introduces the message


class InputError(MolganError):
    """Bad usage or bad input: a missing/empty/unreadable file, an invalid value."""

    exit_code = 2


class RunFailure(MolganError):
    """Valid request that failed while running (non-finite loss, disk full, ...)."""

    exit_code = 1


#: A path the user named cannot be written: their input to fix (exit 2). Anything else
#: (disk full, I/O error) is a failure while running (exit 1).
_USER_FIXABLE = {"EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "EISDIR", "EEXIST", "ENAMETOOLONG"}


def write_error(path, exc: OSError, atomic: bool = True) -> MolganError:
    """The one-line error for a failed file operation on `path` (by default an atomic
    write, which leaves the previous file intact)."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    message = (f"{path}: cannot write ({exc.strerror or exc}); any previous version is unchanged" if atomic
               else f"{path}: {exc.strerror or exc}")
    return InputError(message) if name in _USER_FIXABLE else RunFailure(message)
