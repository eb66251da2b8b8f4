"""Where SMILES come from: the QM9 copy inside `qm9pack`, MOSES inside `molsets`, or
the user's own file.

Readers return `SmilesRecords` (SMILES plus the file line each came from, so skipped
rows can be reported by line) or raise `InputError` with one line naming the file and
the problem. Nothing here writes anything.
"""
from __future__ import annotations

import gzip
import importlib.util
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from molgan.errors import InputError

QM9_FILES = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")
QM9_SIZE = 130_831
#: Column names tried, case-insensitively and in this order, when none is given.
SMILES_COLUMN_NAMES = ("smiles", "canonical_smiles", "isomeric_smiles", "smi")
CSV_SUFFIXES = (".csv", ".csv.gz")
SMI_SUFFIXES = (".smi", ".smi.gz", ".txt", ".txt.gz", ".smiles")


@dataclass
class SmilesRecords:
    """SMILES strings with the 1-based file line each was read from; `reasons`: a CSV's
    `reason` column (why a `molgan sample` row's SMILES is empty), when it has one;
    `splits`: the split a source fixes for each row ("train" or "test", MOSES), whose
    `lines` are then lines of that split's file."""

    smiles: list[str]
    lines: list[int]
    source: str
    reasons: list[str] | None = None
    splits: list[str] | None = None

    def __len__(self) -> int:
        return len(self.smiles)


def qm9_data_files() -> list[Path]:
    """Paths of QM9's CSV parts inside the installed `qm9pack` distribution."""
    # `import qm9pack` fails on current setuptools, so locate it without importing.
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("dataset 'qm9' needs the qm9pack package: pip install qm9pack")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    paths = [folder / name for name in QM9_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"qm9pack is installed but its data file {missing[0]} is missing")
    return paths


def read_qm9() -> SmilesRecords:
    """All 130,831 QM9 SMILES, in the order of the original dsgdb9nsd indices."""
    smiles: list[str] = []
    for path in qm9_data_files():
        smiles += pd.read_csv(path, usecols=["SMILES"], dtype=str).SMILES.tolist()
    if len(smiles) != QM9_SIZE:
        raise InputError(f"qm9pack holds {len(smiles)} molecules, expected {QM9_SIZE}")
    return SmilesRecords(smiles, list(range(1, len(smiles) + 1)), "qm9")


#: The MOSES benchmark's splits inside the `molsets` wheel (moses/dataset/data/).
MOSES_FILES = {"train": "train.csv.gz", "test": "test.csv.gz", "test_scaffolds": "test_scaffolds.csv.gz"}
MOSES_SIZES = {"train": 1_584_663, "test": 176_074, "test_scaffolds": 176_225}
MOSES_INSTALL = "pip install --no-deps molsets"


def moses_folder() -> Path:
    """moses/ inside the installed `molsets` wheel, whose data files are all we read."""
    # `import moses` fails (its dependencies are pinned to versions that no longer
    # install), so locate the package without importing it.
    spec = importlib.util.find_spec("moses")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"dataset 'moses' needs the molsets package's data files: {MOSES_INSTALL}")
    return Path(next(iter(spec.submodule_search_locations)))


def moses_file(name: str) -> Path:
    """A data file of the wheel: a split (`MOSES_FILES`) or a path below moses/."""
    path = moses_folder() / ("dataset/data/" + MOSES_FILES[name] if name in MOSES_FILES else name)
    if not path.is_file():
        raise InputError(f"molsets is installed but its data file {path} is missing; reinstall: {MOSES_INSTALL}")
    return path


def read_moses_split(split: str) -> list[str]:
    """One MOSES split's SMILES, in file order."""
    smiles = pd.read_csv(moses_file(split), usecols=["SMILES"], dtype=str).SMILES.tolist()
    if len(smiles) != MOSES_SIZES[split]:
        raise InputError(f"molsets' {MOSES_FILES[split]} holds {len(smiles)} molecules, expected {MOSES_SIZES[split]}")
    return smiles


def read_moses() -> SmilesRecords:
    """MOSES' train split, then its test split (labelled; lines are each file's)."""
    train, test = read_moses_split("train"), read_moses_split("test")
    return SmilesRecords(train + test, list(range(2, len(train) + 2)) + list(range(2, len(test) + 2)), "moses",
                         splits=["train"] * len(train) + ["test"] * len(test))


def _read_text(path: Path) -> str:
    """Whole file as text (gunzipped if .gz); InputError if missing, empty or binary."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        reason = "not a valid gzip file" if path.suffix == ".gz" else f"cannot read it ({exc})"
        raise InputError(f"{path}: {reason}") from None
    if not raw.strip():
        raise InputError(f"{path}: file is empty")
    if b"\x00" in raw[:65536]:
        raise InputError(f"{path}: not a text file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}: not UTF-8 text (bad byte at line {line})") from None


def _find_smiles_column(path: Path, columns: list[str], requested: str | None) -> str:
    if requested is not None:
        if requested not in columns:
            raise InputError(f"{path}: no column {requested!r} (columns: {', '.join(columns)})")
        return requested
    by_lower = {c.strip().lower(): c for c in columns}
    for name in SMILES_COLUMN_NAMES:
        if name in by_lower:
            return by_lower[name]
    candidates = [c for c in columns if "smiles" in c.lower()]
    if len(candidates) == 1:
        return candidates[0]
    shown = ", ".join(columns[:10]) + (", ..." if len(columns) > 10 else "")
    raise InputError(f"{path}: no SMILES column (columns: {shown}); name it with --smiles-column")


def _read_csv(path: Path, text: str, smiles_column: str | None) -> SmilesRecords:
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise InputError(f"{path}: not a readable CSV ({detail})") from None
    column = _find_smiles_column(path, [str(c) for c in frame.columns], smiles_column)
    values = frame[column].str.strip().tolist()
    reasons = frame["reason"].str.strip().tolist() if "reason" in frame else None
    # Line numbers assume one line per row (a header on line 1), true of SMILES CSVs.
    return SmilesRecords(values, list(range(2, len(values) + 2)), str(path), reasons)


def _read_smi(path: Path, text: str) -> SmilesRecords:
    smiles, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if not smiles and fields[0].lower() in SMILES_COLUMN_NAMES:
            continue  # a header line
        smiles.append(fields[0])
        lines.append(number)
    return SmilesRecords(smiles, lines, str(path))


def read_smiles_file(path: str | Path, smiles_column: str | None = None) -> SmilesRecords:
    """Read a .csv / .csv.gz (SMILES column by name) or .smi / .txt (first field)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    name = path.name.lower()
    if not name.endswith(CSV_SUFFIXES + SMI_SUFFIXES):
        known = ", ".join(CSV_SUFFIXES + SMI_SUFFIXES)
        raise InputError(f"{path}: unsupported file type (use one of {known})")
    text = _read_text(path)
    if name.endswith(CSV_SUFFIXES):
        records = _read_csv(path, text, smiles_column)
    else:
        records = _read_smi(path, text)
    if not records.smiles:
        raise InputError(f"{path}: no SMILES rows")
    return records

