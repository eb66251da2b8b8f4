"""Atomic file and directory writes: a reader sees the old content or the new, never half.

Every file molgan writes for the user (checkpoints, CSVs, caches) goes through here:
the content is written to a temporary sibling, flushed to disk, then renamed over the
target. A crash at any moment leaves either the previous file or the complete new one.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import IO, Iterator


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; the files we write are ordinary outputs (0666 minus umask).
_FILE_MODE = 0o666 & ~_current_umask()


def _fsync_dir(path: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file next to `path`; on success rename it to `path`.

    On any exception the temporary file is removed and `path` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            # Name the file the caller asked for, not our temporary sibling.
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def _host() -> str:
    """This machine's name as it appears in a staging directory's name (no dots)."""
    return socket.gethostname().replace(".", "_")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    return True


def remove_stale_staging(path: str | os.PathLike) -> list[Path]:
    """Remove the staging directories of `path` left by killed builds on this host (their
    process is gone: SIGKILL, or SIGTERM outside training, runs no clean-up); return them.
    A build in progress, or one of another host sharing the directory, is left alone."""
    path, removed, host = Path(path), [], _host()
    prefix = f".{path.name}."
    for staging in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        tag = staging.name[len(prefix):-len(".partial")].rsplit(".", 1)[0]  # host-pid.random
        owner, _, pid = tag.rpartition("-")
        if owner == host and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging)
    return removed


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging directory that becomes `path` when the block succeeds.

    If `path` appeared meanwhile (another process built it), the staged copy is dropped
    and the existing one kept: both were built from the same inputs. Staging directories
    of killed builds are removed first (`remove_stale_staging`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(path)
    owner = f"{_host()}-{os.getpid()}"  # what remove_stale_staging reads back
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.{owner}.", suffix=".partial", dir=path.parent))
    try:
        yield staging
        try:
            os.rename(staging, path)
        except OSError:
            if not path.is_dir():
                raise
            shutil.rmtree(staging, ignore_errors=True)
        _fsync_dir(path.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
