"""Dock molecules against a protein target with AutoDock Vina (`pip install 'molgan[dock]'`).

  molgan dock samples.csv --target DRD2 -o docked.csv                # exhaustiveness 8
  molgan dock samples.csv --target DRD2 -o docked.csv --set dock.exhaustiveness=1
  molgan dock hits.smi --target EGFR -o egfr.csv --set dock.scheduler=tcp://HOST:8786

Targets are the 58 receptors and search boxes of the dockstring package (DRD2, EGFR, ...).
Each molecule (the largest fragment of its SMILES) is protonated at pH 7.4, embedded in 3D
(RDKit ETKDGv3, MMFF), prepared by meeko and docked by Vina; the score is the best pose's
(kcal/mol, lower binds better). DOCKED.csv is the input with docking_score, docking_status
(ok, failed, invalid), docking_reason, docked_smiles (the protonated form) and docking_target
added; the best poses go to DOCKED.sdf. Scores are cached on disk (DATA_DIR/docking.sqlite,
shared safely by concurrent runs): a molecule already docked against the same target with the
same settings is read, not docked again. Settings (--set KEY=VALUE or a TOML file's [dock]):
exhaustiveness (8), seed (0), ph (7.4), protonate (true; false docks as written), timeout (300 s per molecule),
workers (one per core), scheduler (a Dask scheduler address: dock on its workers).
"""
from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from collections import Counter
from pathlib import Path

from molgan.errors import InputError, write_error

log = logging.getLogger("molgan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("samples", metavar="SAMPLES.csv", help="molecules: .csv (SMILES column) or .smi")
    parser.add_argument("--target", required=True, help="a dockstring target, e.g. DRD2")
    parser.add_argument("-o", "--output", required=True, metavar="DOCKED.csv", help="the input with docking columns")
    parser.add_argument("--poses", metavar="POSES.sdf", help="best poses (default: DOCKED.sdf; --poses none: none)")
    parser.add_argument("--cache", metavar="FILE.sqlite",
                        help="score cache (default: DATA_DIR/docking.sqlite; --cache none: no cache)")
    parser.add_argument("--smiles-column", help="SMILES column of SAMPLES.csv (default: found by name)")
    parser.add_argument("--config", metavar="FILE.toml", help="settings under [dock]")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="a docking setting, e.g. dock.exhaustiveness=1 (repeatable)")
    parser.add_argument("--data-dir", metavar="DIR", help="cache directory (default: $MOLGAN_DATA_DIR or ./data)")


def _none(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "none"


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from molgan.api import dock, default_dock_cache
    from molgan.core.atomic import atomic_write
    from molgan.core.config import build_config
    from molgan.mol.data.sources import read_smiles_file
    from molgan.mol.docking.config import DockSettings
    from molgan.mol.docking.targets import find_target

    start = time.monotonic()
    output = Path(args.output)
    if output.is_dir():
        raise InputError(f"{output}: is a directory")
    if not output.name.lower().endswith(".csv"):
        raise InputError(f"{output}: the docked molecules are written as CSV: name it DOCKED.csv")
    poses = None if _none(args.poses) else Path(args.poses) if args.poses else output.with_suffix(".sdf")
    if poses is not None and poses.resolve() == output.resolve():
        raise InputError(f"{poses}: the poses file would overwrite {output}")
    settings = build_config(DockSettings, args.config, args.sets).dock
    target = find_target(args.target)
    records = read_smiles_file(args.samples, args.smiles_column)
    cache = None if _none(args.cache) else Path(args.cache) if args.cache else default_dock_cache(args.data_dir)
    frame = dock(records.smiles, target=target, cache=cache, progress=not args.quiet, config=settings)
    if Path(args.samples).name.lower().endswith((".csv", ".csv.gz")):
        table = pd.read_csv(args.samples, dtype=str, keep_default_na=False)
        table = table.drop(columns=[c for c in OUTPUT_COLUMNS if c in table.columns])
    else:
        table = pd.DataFrame({"smiles": records.smiles})
    frame["docking_target"] = target.name
    for column in OUTPUT_COLUMNS:
        table[column] = frame[column].to_numpy()
    try:
        with atomic_write(output, newline="", encoding="utf-8") as handle:
            table.to_csv(handle, index=False)
        if poses is not None:
            with atomic_write(poses, encoding="utf-8") as handle:
                handle.write(sdf_text(frame, target.name))
    except OSError as exc:
        raise write_error(exc.filename or output, exc) from None
    sys.stdout.write(summary(frame, target.name, settings.exhaustiveness, time.monotonic() - start) + "\n")
    log.info("wrote %s%s", output, f" and {poses}" if poses is not None else "")
    return 0


OUTPUT_COLUMNS = ("docking_score", "docking_status", "docking_reason", "docked_smiles", "docking_target")


def sdf_text(frame, target: str) -> str:
    """One SDF record per distinct docked molecule: its best pose, score and first row."""
    records, seen = [], set()
    for row, item in enumerate(frame.itertuples(index=False), start=1):
        if item.docking_status != "ok" or not item.pose or item.canonical_smiles in seen:
            continue
        seen.add(item.canonical_smiles)
        fields = {"smiles": item.canonical_smiles, "docked_smiles": item.docked_smiles,
                  "docking_score": f"{item.docking_score:.3f}", "target": target, "row": row}
        tags = "".join(f">  <{k}>\n{v}\n\n" for k, v in fields.items())
        records.append(f"{item.pose.rstrip()}\n{tags}$$$$\n")
    return "".join(records)


def summary(frame, target: str, exhaustiveness: int, seconds: float) -> str:
    ok = frame[frame.docking_status == "ok"]
    distinct = ok.drop_duplicates("canonical_smiles").docking_score.sort_values()
    docked_now = int((~frame.cached & frame.docking_status.ne("invalid")).sum())
    parts = [f"{target} (exhaustiveness {exhaustiveness}): {len(frame)} rows, {len(ok)} scored "
             f"({int(frame.cached.sum())} from the cache)"]
    failed = Counter(frame.docking_reason[frame.docking_status == "failed"])
    if failed:
        parts.append(f"{sum(failed.values())} failed (" + ", ".join(f"{r}: {n}" for r, n in failed.most_common(3))
                     + ("" if len(failed) <= 3 else ", ...") + ")")
    invalid = int((frame.docking_status == "invalid").sum())
    if invalid:
        parts.append(f"{invalid} invalid")
    if len(distinct):
        parts.append(f"best {distinct.iloc[0]:.2f} kcal/mol, top-{min(10, len(distinct))} mean "
                     f"{distinct.iloc[:10].mean():.2f}, median {distinct.median():.2f}")
    rate = docked_now / seconds if seconds > 0 and docked_now else math.nan
    parts.append(f"{seconds:.0f} s" + (f" ({rate:.2f} molecules/s docked)" if docked_now else ""))
    return "; ".join(parts)
