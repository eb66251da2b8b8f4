import os
import signal
import socket
import subprocess
import sys

import pytest
from helpers import wait_for

from molgan.core.atomic import atomic_directory, atomic_write


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as handle:
            handle.write("half")
            raise RuntimeError("crash mid-write")
    assert path.read_text() == "old\n"
    with atomic_write(path) as handle:
        handle.write("new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == 0o666 & ~umask


def test_atomic_directory_appears_only_when_complete(tmp_path):
    target = tmp_path / "cache"
    with pytest.raises(ValueError):
        with atomic_directory(target) as staging:
            (staging / "part").write_text("x")
            raise ValueError("bad input")
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(target) as staging:
        (staging / "part").write_text("x")
    assert (target / "part").read_text() == "x"


#: Stages a directory, says so, and waits to be killed.
_STALLED_BUILD = """
import sys, time
from pathlib import Path
from molgan.core.atomic import atomic_directory
with atomic_directory(sys.argv[1]) as staging:
    (staging / "half").write_text("x")
    Path(sys.argv[2]).touch()
    time.sleep(600)
"""


def test_a_killed_build_leaves_a_staging_directory_that_the_next_build_removes(tmp_path):
    target, marker = tmp_path / "cache", tmp_path / "staged"
    build = subprocess.Popen([sys.executable, "-c", _STALLED_BUILD, str(target), str(marker)])
    try:
        wait_for(marker.exists)
    finally:
        build.send_signal(signal.SIGKILL)  # no clean-up runs
        build.wait()
    [left] = tmp_path.glob(".cache.*.partial")
    assert (left / "half").exists() and not target.exists()
    # Not ours to remove: a build in progress (this process) and one on another host.
    host = socket.gethostname().replace(".", "_")
    running = tmp_path / f".cache.{host}-{os.getpid()}.abc.partial"
    elsewhere = tmp_path / f".cache.otherhost-{build.pid}.abc.partial"
    running.mkdir()
    elsewhere.mkdir()
    with atomic_directory(target) as staging:
        (staging / "whole").write_text("x")
    assert not left.exists()
    assert running.is_dir() and elsewhere.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cache", "staged", running.name, elsewhere.name])
