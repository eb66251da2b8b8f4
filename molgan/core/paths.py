"""Where cached data lives: datasets, reference statistics, docking scores, frozen scorers."""
from __future__ import annotations

import os
from pathlib import Path

#: Where datasets and everything computed from them are cached unless --data-dir says otherwise.
DATA_DIR_ENV = "MOLGAN_DATA_DIR"


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV, "data"))
