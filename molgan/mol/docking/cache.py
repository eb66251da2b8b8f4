"""Docking scores on disk (SQLite), shared by every run that docks: no molecule is docked twice.

Keyed by (target: name, box and receptor file; settings: route, Vina version, exhaustiveness,
seed, pH; canonical SMILES). Concurrent runs share one file safely: write-ahead logging
lets readers proceed while one writer commits, and a writer waits its turn (busy timeout)
instead of failing. The first score written for a key is kept. Needs a local file system
(SQLite's locking is unreliable over NFS).
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Iterable

from molgan.errors import InputError, RunFailure

SCHEMA_VERSION = 1
COLUMNS = ("score", "reason", "docked_smiles", "pose", "seconds")
_CHUNK = 500  # SMILES per lookup query (SQLite allows 32,766 parameters)


def _problem(path: Path, exc: sqlite3.Error) -> Exception:
    message = str(exc).strip() or type(exc).__name__
    if isinstance(exc, sqlite3.OperationalError) and "locked" in message:
        return RunFailure(f"{path}: the docking cache stayed locked by another run ({message})")
    if isinstance(exc, (sqlite3.DatabaseError,)) and not isinstance(exc, sqlite3.OperationalError):
        return InputError(f"{path}: not a usable docking cache ({message}); move it aside or choose another "
                          "with --cache")
    return RunFailure(f"{path}: docking cache error ({message})")


class DockingCache:
    """`get_many` and `put` of docking results in the SQLite file at `path`."""

    def __init__(self, path: str | Path, busy_seconds: float = 120.0):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_seconds, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            self._db.execute("CREATE TABLE IF NOT EXISTS scores (target TEXT, settings TEXT, smiles TEXT, "
                             "score REAL, reason TEXT, docked_smiles TEXT, pose TEXT, seconds REAL, created REAL, "
                             "PRIMARY KEY (target, settings, smiles))")
            (version,) = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.Error as exc:
            raise _problem(self.path, exc) from None
        except OSError as exc:
            raise InputError(f"{self.path}: cannot open the docking cache ({exc.strerror or exc})") from None
        if version != str(SCHEMA_VERSION):
            raise InputError(f"{self.path}: a docking cache of another molgan version (schema {version}); "
                             "choose another with --cache")

    def get_many(self, target: str, settings: str, smiles: Iterable[str]) -> dict[str, dict]:
        """Cached results of those of `smiles` that have one: {smiles: {score, reason, ...}}."""
        found: dict[str, dict] = {}
        keys = list(dict.fromkeys(smiles))
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start: start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT smiles, {', '.join(COLUMNS)} FROM scores WHERE target = ? AND "
                                        f"settings = ? AND smiles IN ({marks})", (target, settings, *chunk))
                for row in rows:
                    found[row[0]] = dict(zip(COLUMNS, row[1:]))
        except sqlite3.Error as exc:
            raise _problem(self.path, exc) from None
        return found

    def put(self, target: str, settings: str, smiles: str, result: dict) -> None:
        """Store one result (its score, or the reason it has none); an existing one is kept."""
        values = [result.get(c) for c in COLUMNS]
        try:
            self._db.execute("INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (target, settings, smiles, *values, time.time()))
        except sqlite3.Error as exc:
            raise _problem(self.path, exc) from None

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"DockingCache({str(self.path)!r})"
