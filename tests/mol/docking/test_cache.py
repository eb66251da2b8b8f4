"""The docking score cache: hits, keys, concurrent writers, a corrupt file."""
import multiprocessing
import sqlite3

import pytest

from molgan.errors import InputError
from molgan.mol.docking.cache import DockingCache
from molgan.mol.docking.config import DockConfig

RESULT = {"score": -7.5, "reason": None, "docked_smiles": "CC[NH3+]", "pose": "molblock", "seconds": 1.5}


def test_a_stored_result_is_found_under_its_key_only(tmp_path):
    cache = DockingCache(tmp_path / "d.sqlite")
    cache.put("DRD2|box|abc", "s1", "CCN", RESULT)
    cache.put("DRD2|box|abc", "s1", "CCO", {"reason": "3D embedding failed"})
    assert cache.get_many("DRD2|box|abc", "s1", ["CCN", "CCO", "CCC"]) == {
        "CCN": RESULT, "CCO": {"score": None, "reason": "3D embedding failed", "docked_smiles": None, "pose": None,
                               "seconds": None}}
    assert cache.get_many("DRD2|box|abc", "s2", ["CCN"]) == {}  # other settings
    assert cache.get_many("DRD3|box|abc", "s1", ["CCN"]) == {}  # another target
    cache.put("DRD2|box|abc", "s1", "CCN", {**RESULT, "score": -1.0})
    assert cache.get_many("DRD2|box|abc", "s1", ["CCN"])["CCN"]["score"] == -7.5  # the first result is kept
    cache.close()
    assert DockingCache(tmp_path / "d.sqlite").get_many("DRD2|box|abc", "s1", ["CCN"])["CCN"] == RESULT


def test_settings_that_move_a_score_change_the_key():
    base = DockConfig()
    assert DockConfig(exhaustiveness=1).settings_key() != base.settings_key()
    assert DockConfig(seed=1).settings_key() != base.settings_key()
    assert DockConfig(ph=6.0).settings_key() != base.settings_key()
    assert DockConfig(protonate=False).settings_key() != base.settings_key()
    # where and how long it runs does not move the score
    assert DockConfig(timeout=5, workers=3, scheduler="tcp://h:8786").settings_key() == base.settings_key()


def _write_many(path, start):
    cache = DockingCache(path)
    for i in range(start, start + 300):
        cache.put("T", "S", f"C{i}", {**RESULT, "score": -float(i)})
    cache.close()


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "shared.sqlite"
    DockingCache(path).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(path, start)) for start in (0, 150, 300)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    found = DockingCache(path).get_many("T", "S", [f"C{i}" for i in range(600)])
    assert len(found) == 600 and all(found[f"C{i}"]["score"] == -float(i) for i in range(600))


def test_a_corrupt_file_is_one_clear_error(tmp_path):
    path = tmp_path / "d.sqlite"
    path.write_bytes(b"this is not a database, " * 200)
    with pytest.raises(InputError, match=r"d.sqlite: not a usable docking cache \(file is not a database\); "
                                         "move it aside"):
        DockingCache(path)


def test_a_cache_of_another_schema_is_refused(tmp_path):
    path = tmp_path / "d.sqlite"
    DockingCache(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(InputError, match="another molgan version"):
        DockingCache(path)
