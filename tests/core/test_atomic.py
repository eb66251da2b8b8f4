import os

import pytest

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
